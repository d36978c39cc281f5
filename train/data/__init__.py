"""SR data: MATLAB-compatible bicubic, image I/O and colour, training/test datasets."""
from .datasets import (ImageTooSmallError, SRPatchDataset, default_images,
                       load_image_pair_from_array, load_test_set, resolve_hr_folders)
from .image_io import (IMAGE_EXTENSIONS, ImageReadError, list_images, read_image, rgb_to_ycbcr,
                       to_y_uint8, write_png, ycbcr_to_rgb)
from .matlab_bicubic import imresize, modcrop

__all__ = [
    "IMAGE_EXTENSIONS", "ImageReadError", "ImageTooSmallError", "SRPatchDataset",
    "default_images", "imresize", "list_images", "load_image_pair_from_array", "load_test_set",
    "modcrop", "read_image", "resolve_hr_folders", "rgb_to_ycbcr", "to_y_uint8", "write_png",
    "ycbcr_to_rgb",
]
