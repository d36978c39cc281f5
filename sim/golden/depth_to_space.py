"""DepthToSpace (ONNX mode CRD, torch pixel_shuffle) on NHWC tensors."""
import numpy as np


def depth_to_space_nhwc(x: np.ndarray, block: int) -> np.ndarray:
    """Rearrange (N, H, W, C*S*S) into (N, H*S, W*S, C), S = ``block``.

    out[n, h*S + i, w*S + j, c] = x[n, h, w, c*S*S + i*S + j], the NHWC form of
    ``torch.nn.functional.pixel_shuffle``. Values and dtype are kept exactly.
    """
    if x.ndim != 4:
        raise ValueError(f"depth_to_space_nhwc expects a 4D NHWC tensor, got shape {x.shape}")
    if block < 1:
        raise ValueError(f"depth_to_space_nhwc block must be >= 1, got {block}")
    n, h, w, k = x.shape
    if k % (block * block):
        raise ValueError(
            f"depth_to_space_nhwc: {k} channels are not a multiple of block**2 = {block * block}"
        )
    c = k // (block * block)
    # channel k splits as (c, i, j); moving i next to h and j next to w interleaves them
    blocks = x.reshape(n, h, w, c, block, block)
    return blocks.transpose(0, 1, 4, 2, 5, 3).reshape(n, h * block, w * block, c)
