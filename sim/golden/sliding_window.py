"""FMPadding and ConvolutionInputGenerator (im2col) on NHWC integer tensors."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


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
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = sliding_window_view(x, span, axis=(1, 2))  # (N, H', W', C, span_h, span_w)
    windows = windows[:, ::sh, ::sw, :, ::dh, ::dw]
    n, oh, ow, c = windows.shape[:4]
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n, oh, ow, kh * kw * c)
