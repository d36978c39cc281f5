"""Training patches and test sets for bicubic super-resolution (standard SR protocol).

LR images are MATLAB bicubic downscales of the modcropped RGB HR image; for
``color='y'`` both LR and HR are then converted to BT.601 Y. Pixel values stay in
0..255 integer units because the models take pixel units.
"""
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skimage
import torch
from skimage import data as skdata

from train.cli import UserError
from train.registry import ConfigError

from .image_io import (IMAGE_EXTENSIONS, ImageReadError, list_images, read_image, to_y_uint8,
                       write_png)
from .matlab_bicubic import imresize, modcrop

COLORS = ("y", "rgb")

# Natural colour photographs shipped inside scikit-image (no download needed).
_DEFAULT_IMAGE_LOADERS = {
    "astronaut": skdata.astronaut,
    "chelsea": skdata.chelsea,
    "coffee": skdata.coffee,
    "rocket": skdata.rocket,
    "motorcycle": lambda: skdata.stereo_motorcycle()[0],
}


class ImageTooSmallError(UserError):
    """An HR image is smaller than the training patch or the metrics' window; the message
    names the file."""


class ImageSizeError(UserError):
    """An LR image does not have the size of its HR image / scale; names the file."""


def default_images():
    """``[(name, uint8 HxWx3 RGB)]``: scikit-image's bundled natural colour photos."""
    return [(name, np.ascontiguousarray(load())) for name, load in _DEFAULT_IMAGE_LOADERS.items()]


def real_frame(height, width, channels, index=0):
    """An LR-sized crop (uint8, 1xCxHxW) of a bundled natural photo: real image
    statistics, no download, reproducible."""
    name, rgb = default_images()[index]
    img = to_y_uint8(rgb)[..., None] if channels == 1 else rgb
    top, left = (img.shape[0] - height) // 2, (img.shape[1] - width) // 2
    if top < 0 or left < 0:
        raise UserError(f"frame {height}x{width} is larger than the bundled photo {name} "
                        f"({img.shape[0]}x{img.shape[1]}) it is cut from for verification")
    return np.ascontiguousarray(img[top:top + height, left:left + width].transpose(2, 0, 1)[None])


def photo_frame(height, width, channels, index=0):
    """A whole bundled natural photo (uint8, H x W x C), MATLAB-bicubic resized to
    ``height`` x ``width``: a real frame of any size, e.g. a 960x540 video frame, upscaled
    from a bundled photo without downloads."""
    _, rgb = default_images()[index]
    img = to_y_uint8(rgb)[..., None] if channels == 1 else rgb
    return imresize(img, output_shape=(height, width))


def resolve_hr_folders(paths):
    """Image paths from files, flat folders, or DIV2K roots (their ``DIV2K_train_HR/``)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    images = []
    for entry in map(Path, paths):
        if entry.is_file() or entry.suffix.lower() in IMAGE_EXTENSIONS:
            images.append(entry)  # a missing image file fails in read_image, naming it
        elif (entry / "DIV2K_train_HR").is_dir():
            images.extend(list_images(entry / "DIV2K_train_HR"))
        else:
            images.extend(list_images(entry))  # raises FileNotFoundError naming entry
    return images


@dataclass(frozen=True)
class HRSource:
    """One HR image of a training set: a file, or (``path`` None) a bundled photo.

    ``name`` is what the held-out split hashes: the file name (not the folder, so the
    split does not depend on where the data lives) or the photo's name.
    """
    name: str
    path: Path | None = None

    @property
    def label(self):
        return self.name if self.path is None else str(self.path)

    def read(self):
        if self.path is None:
            return np.ascontiguousarray(_DEFAULT_IMAGE_LOADERS[self.name]())
        return read_image(self.path)

    def cache_key(self):
        return _default_image_key(self.name) if self.path is None else _source_key(self.path)


def hr_sources(folders):
    """``[HRSource]`` of HR folders/files (see ``resolve_hr_folders``); None: the bundled
    photos of ``default_images``."""
    if folders is None:
        return [HRSource(name) for name in _DEFAULT_IMAGE_LOADERS]
    return [HRSource(path.name, path) for path in resolve_hr_folders(folders)]


def as_hr_sources(sources):
    """``sources`` if already a list of ``HRSource``, else ``hr_sources(sources)``."""
    if isinstance(sources, list) and sources and all(isinstance(s, HRSource) for s in sources):
        return sources
    return hr_sources(sources)


def held_out_rank(source):
    """Order of the held-out split: the SHA-1 of the name, a fixed pseudo-random order
    that needs no random state and does not change when images are added or removed."""
    return hashlib.sha1(source.name.encode("utf-8")).hexdigest(), source.label


def split_held_out(sources, count):
    """``(training, held_out)``: the ``count`` sources first by ``held_out_rank`` are held
    out; both lists keep the order of ``sources``."""
    if not 0 < count < len(sources):
        raise ConfigError(f"'data.val.split' {count} must leave training images: the "
                          f"training folders hold {len(sources)}")
    held = set(sorted(sources, key=held_out_rank)[:count])
    return ([s for s in sources if s not in held], [s for s in sources if s in held])


def pixel_digest(img):
    """SHA-1 of an image's shape and pixels: equal images, wherever they are stored."""
    data = repr(img.shape).encode() + np.ascontiguousarray(img).tobytes()
    return hashlib.sha1(data).hexdigest()


def _check_color(color):
    if color not in COLORS:
        raise ConfigError(f"color must be one of {COLORS}, got {color!r}")


def _convert_color(img, color):
    """uint8 RGB or grey -> Y (HxW) or RGB (HxWx3)."""
    if color == "y":
        return to_y_uint8(img)
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    return img


def bicubic_lr(hr, scale):
    """MATLAB bicubic LR of the modcropped HR image (uint8 in, uint8 out)."""
    return imresize(modcrop(hr, scale), 1.0 / scale)


def load_image_pair_from_array(name, hr_rgb, scale, color, lr_rgb=None, lr_label=None):
    """``(name, lr, hr)`` in ``color`` from an RGB/grey HR image; LR made if not given
    (a given LR of the wrong size is refused naming ``lr_label``, else ``name``)."""
    _check_color(color)
    hr_rgb = modcrop(hr_rgb, scale)
    if lr_rgb is None:
        lr_rgb = bicubic_lr(hr_rgb, scale)
    expected = (hr_rgb.shape[0] // scale, hr_rgb.shape[1] // scale)
    if lr_rgb.shape[:2] != expected:
        raise ImageSizeError(f"{lr_label or name}: LR image is {lr_rgb.shape[1]}x{lr_rgb.shape[0]}, "
                             f"expected {expected[1]}x{expected[0]} for x{scale} of the "
                             f"modcropped HR")
    return name, _convert_color(lr_rgb, color), _convert_color(hr_rgb, color)


def min_test_size(scale):
    """Smallest HR side a test image may have: SSIM's window after shaving ``scale``
    border pixels on each side."""
    from train.metrics import SSIM_WINDOW  # here: train.metrics imports this package

    return 2 * scale + SSIM_WINDOW


def load_test_pair(label, name, hr_rgb, scale, color, lr_rgb=None, lr_label=None):
    """``load_image_pair_from_array`` for a test image, refusing images too small for
    the metrics; errors name ``label`` (the HR file) or ``lr_label`` (its LR file)."""
    height, width = hr_rgb.shape[:2]
    if min(height, width) < min_test_size(scale):
        raise ImageTooSmallError(f"test image {label} is {width}x{height}; x{scale} PSNR/SSIM "
                                 f"need at least {min_test_size(scale)} pixels per side")
    return load_image_pair_from_array(name, hr_rgb, scale, color, lr_rgb, lr_label)


def load_test_set(folder, scale, color="y"):
    """``[(name, lr, hr)]`` uint8 from an HR folder; uses ``../LR_bicubic/X{scale}`` if present."""
    folder = Path(folder)
    lr_folder = folder.parent / "LR_bicubic" / f"X{scale}"
    pairs = []
    for path in list_images(folder):
        lr_path = lr_folder / f"{path.stem}x{scale}.png"
        lr_rgb = read_image(lr_path) if lr_path.is_file() else None
        pairs.append(load_test_pair(path, path.stem, read_image(path), scale, color, lr_rgb,
                                    lr_path))
    return pairs


def load_held_out_set(sources, scale, color="y"):
    """``[(name, lr, hr)]`` uint8 of held-out ``HRSource``s (LR by MATLAB bicubic)."""
    return [load_test_pair(source.label, Path(source.name).stem, source.read(), scale, color)
            for source in sources]


class _LRDiskCache:
    """LR images as PNG files, keyed by source identity (path + mtime, or name) and scale."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def _file(self, key, label):
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        return self.folder / f"{Path(label).stem}_{digest}.png"

    def get_or_make(self, key, label, hr, scale):
        file = self._file(key, label)
        if file.is_file():
            try:
                return read_image(file)
            except ImageReadError:
                pass  # a damaged cache entry is rebuilt below
        lr = bicubic_lr(hr, scale)
        write_png(file, lr)
        return lr


def _source_key(path):
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}"


def _default_image_key(name):
    return f"skimage-{skimage.__version__}:{name}"


def _to_chw_tensor(img):
    chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(chw, dtype=np.float32))


class SRPatchDataset(torch.utils.data.Dataset):
    """Random aligned (LR, HR) patches as float32 CxHxW tensors of 0..255 pixel values.

    Randomness comes from torch's global RNG, so ``torch.manual_seed`` (and restoring
    torch's RNG state on resume) makes the patch sequence reproducible.
    """

    def __init__(self, hr_sources, scale, patch_size, color="y", augment=True, repeat=1,
                 cache_dir=None):
        _check_positive_int("scale", scale)
        _check_positive_int("patch_size", patch_size)
        _check_positive_int("repeat", repeat)
        if patch_size % scale:
            raise ConfigError(f"patch_size {patch_size} must be divisible by scale {scale}")
        _check_color(color)
        self.scale = scale
        self.patch_size = patch_size
        self.color = color
        self.augment = augment
        self.repeat = repeat
        self._cache = _LRDiskCache(cache_dir) if cache_dir is not None else None
        self.hr_digests = {}  # pixel_digest of each HR image -> its label
        self.pairs = [self._load_pair(*source) for source in self._sources(hr_sources)]
        if not self.pairs:
            raise ConfigError("hr_sources holds no images")

    @staticmethod
    def _sources(hr_sources):
        """Yield ``(label, hr, cache key)``, reading one image at a time."""
        for source in as_hr_sources(hr_sources):
            yield source.label, source.read(), source.cache_key()

    def _load_pair(self, label, hr, key):
        h, w = hr.shape[:2]
        if h < self.patch_size or w < self.patch_size:
            raise ImageTooSmallError(f"image {label} is {w}x{h}, smaller than "
                                     f"patch_size {self.patch_size}")
        lr = None
        if self._cache is not None:
            lr = self._cache.get_or_make(f"{key}|x{self.scale}", label, hr, self.scale)
        _, lr, hr = load_image_pair_from_array(label, hr, self.scale, self.color, lr)
        self.hr_digests[pixel_digest(hr)] = label
        return lr, hr

    def __len__(self):
        return len(self.pairs) * self.repeat

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} patches")
        lr, hr = self.pairs[index % len(self.pairs)]
        lr_patch, hr_patch = self._random_crop(lr, hr)
        if self.augment:
            lr_patch, hr_patch = _random_flips(lr_patch, hr_patch)
        return _to_chw_tensor(lr_patch), _to_chw_tensor(hr_patch)

    def _random_crop(self, lr, hr):
        lr_size = self.patch_size // self.scale
        top = int(torch.randint(0, lr.shape[0] - lr_size + 1, ()))
        left = int(torch.randint(0, lr.shape[1] - lr_size + 1, ()))
        s = self.scale
        return (lr[top:top + lr_size, left:left + lr_size],
                hr[top * s:(top + lr_size) * s, left * s:(left + lr_size) * s])


def _random_flips(*images):
    """Apply the same random horizontal flip, vertical flip and transpose to all images."""
    hflip, vflip, transpose = (torch.rand(3) < 0.5).tolist()
    out = []
    for img in images:
        if hflip:
            img = img[:, ::-1]
        if vflip:
            img = img[::-1]
        if transpose:
            img = img.swapaxes(0, 1)
        out.append(img)
    return out


def _check_positive_int(key, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{key} must be a positive int, got {value!r}")
