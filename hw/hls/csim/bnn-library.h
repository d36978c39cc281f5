// C-simulation stand-in for finn-hlslib's bnn-library.h.
//
// FINN-generated top files (top_<node>.cpp) include "bnn-library.h" first. The
// real header ships with finn-hlslib and is what Vitis HLS uses; it is not
// available here. The DepthToSpace top needs only ap_int and hls::stream from
// it, so depth_to_space_tb.cpp compiles generated tops against this file.
#ifndef BNN_LIBRARY_CSIM_STUB_H
#define BNN_LIBRARY_CSIM_STUB_H

#include <ap_int.h>
#include <hls_stream.h>

#endif  // BNN_LIBRARY_CSIM_STUB_H
