"""FMPadding and ConvolutionInputGenerator (im2col) on NHWC integer tensors."""
import numpy as np


def fm_padding(x: np.ndarray, padding, pad_value: int = 0) -> np.ndarray:
    """Pad the spatial dims of NHWC ``x`` with ``pad_value``.

    padding: FINN's [top, left, bottom, right] (= [H_begin, W_begin, H_end, W_end]).
    The hardware inserts all-zero words, so pass the value those bits encode:
    0, or -1 for BIPOLAR data in the {-1, +1} convention.
    """
    top, left, bottom, right = padding
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=pad_value)


def im2col(x: np.ndarray, kernel, stride=(1, 1), dilation=(1, 1)) -> np.ndarray:
    """Sliding windows of NHWC ``x`` without padding (FINN ConvolutionInputGenerator).

    kernel, stride, dilation: (H, W) pairs. Returns (N, OH, OW, KH * KW * C) where the
    window is flattened kernel row-major with channels innermost: index
    (ky * KW + kx) * C + c, the order FINN's MVAU weight rows use.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, height, width, c = x.shape
    oh, ow = (height - dh * (kh - 1) - 1) // sh + 1, (width - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"im2col: a {kh}x{kw} kernel (dilation {dh}x{dw}) does not fit "
                         f"a {height}x{width} input")
    # one shifted copy per kernel position, written into its slot of the window: whole
    # channel rows at a time (a transposed sliding_window_view copies element by element
    # and is ~10x slower on whole frames)
    windows = np.empty((n, oh, ow, kh * kw, c), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            top, left = ky * dh, kx * dw
            windows[:, :, :, ky * kw + kx] = x[:, top:top + (oh - 1) * sh + 1:sh,
                                               left:left + (ow - 1) * sw + 1:sw]
    return windows.reshape(n, oh, ow, kh * kw * c)
