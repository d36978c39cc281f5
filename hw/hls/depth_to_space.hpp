/******************************************************************************
 * DepthToSpace (ONNX mode CRD == torch pixel_shuffle) streaming kernel.
 *
 * Streams are NHWC and FINN-packed: a word carries SIMD elements of BITS bits,
 * element (lane) l in bits [l*BITS, (l+1)*BITS).
 *   in : LR pixels (h, w), channel k = c*S*S + i*S + j, C*S*S/SIMD words each
 *   out: HR pixels (h*S + i, w*S + j), channel c,       C/SIMD words each
 *
 * Schedule: one pipelined loop, II=1. The row buffer is ping-pong: while LR row
 * r is written into one half, the S HR rows of LR row r-1 are read from the
 * other. Both take ROW_WORDS = W*C*S*S/SIMD words, so a call over R LR rows
 * takes (R + 1) * ROW_WORDS cycles (the extra row drains the last buffer).
 *
 * Banking: an input word holds SIMD consecutive k, an output word holds SIMD
 * channels c at one sub-pixel (i, j), i.e. k with stride S*S. To read and write
 * one word per cycle, the buffer is split into SIMD banks (one element each
 * per word address) and every input word is rotated by a skew before it is
 * stored, so both access patterns touch each bank exactly once:
 *   element k of pixel w: address w*PIXEL_WORDS + k/SIMD,
 *                         bank (p + p/LCM) % SIMD,  p = k % (SIMD*S*S),
 *                         LCM = lcm(S*S, SIMD).
 *
 * Builds for Vitis HLS (synthesis) and for plain g++ C simulation with the
 * ap_int.h / hls_stream.h simulation headers.
 *****************************************************************************/
#ifndef DEPTH_TO_SPACE_HPP
#define DEPTH_TO_SPACE_HPP

#include <ap_int.h>
#include <hls_stream.h>

namespace depth_to_space_detail {

constexpr unsigned gcd(unsigned a, unsigned b) { return b == 0 ? a : gcd(b, a % b); }

// x with (a * x) % m == 1 % m; a and m coprime; m == 1 gives 0
constexpr unsigned mod_inverse(unsigned a, unsigned m) {
    for (unsigned x = 0; x < m; x++) {
        if ((a * x) % m == 1 % m) return x;
    }
    return 0;
}

}  // namespace depth_to_space_detail

template <unsigned H_,     // LR height
          unsigned W_,     // LR width
          unsigned C_,     // channels per HR pixel
          unsigned S_,     // block size (upscale factor)
          unsigned SIMD_,  // elements per stream word, divides C
          unsigned BITS_>  // bits per element
struct DepthToSpaceConfig {
    static constexpr unsigned H = H_;
    static constexpr unsigned W = W_;
    static constexpr unsigned C = C_;
    static constexpr unsigned S = S_;
    static constexpr unsigned SIMD = SIMD_;
    static constexpr unsigned BITS = BITS_;

    static constexpr unsigned SS = S * S;                   // sub-pixels per LR pixel
    static constexpr unsigned FOLDS = C / SIMD;             // words per HR pixel
    static constexpr unsigned PIXEL_WORDS = FOLDS * SS;     // words per LR pixel
    static constexpr unsigned ROW_WORDS = W * PIXEL_WORDS;  // words per LR row, in or out

    // Skew: input word t of a pixel is rotated by (t % SS) / SKEW_RUN banks.
    static constexpr unsigned SKEW_GROUPS = depth_to_space_detail::gcd(SS, SIMD);
    static constexpr unsigned SKEW_RUN = SS / SKEW_GROUPS;
    // Lanes l and l + LANE_STRIDE share (l*SS) % SIMD; the skew separates them.
    static constexpr unsigned LANE_STRIDE = SIMD / SKEW_GROUPS;
    static constexpr unsigned SKEW_RUN_INV =
        depth_to_space_detail::mod_inverse(SKEW_RUN % LANE_STRIDE, LANE_STRIDE);

    using Elem = ap_uint<BITS>;
    using Word = ap_uint<SIMD * BITS>;

    static_assert(H > 0 && W > 0 && C > 0 && S > 0 && SIMD > 0 && BITS > 0,
                  "DepthToSpace parameters must be positive");
    static_assert(C % SIMD == 0, "DepthToSpace: SIMD must divide C");
};

// Storage of the ping-pong row buffer, selected by tag (pragmas need literals).
struct DepthToSpaceBram {};
struct DepthToSpaceLutram {};

// Bank that holds output lane `lane` of sub-pixel `sub` (the skew formula above).
template <typename Cfg>
unsigned depth_to_space_bank_of_lane(unsigned lane, unsigned sub) {
#pragma HLS INLINE
    unsigned const p = lane * Cfg::SS + sub;  // k relative to the fold's first element
    return (p + p / (Cfg::SIMD * Cfg::SKEW_RUN)) % Cfg::SIMD;
}

// Inverse of depth_to_space_bank_of_lane for a fixed sub-pixel.
template <typename Cfg>
unsigned depth_to_space_lane_in_bank(unsigned bank, unsigned sub) {
#pragma HLS INLINE
    unsigned const unskewed = (bank + Cfg::SIMD - sub % Cfg::SIMD) % Cfg::SIMD;
    unsigned const group = unskewed % Cfg::SKEW_GROUPS;
    unsigned const residue = unskewed / Cfg::SKEW_GROUPS;
    unsigned const base_lane = (residue * Cfg::SKEW_RUN_INV) % Cfg::LANE_STRIDE;
    return base_lane + group * Cfg::LANE_STRIDE;
}

template <typename Cfg>
void depth_to_space_store(typename Cfg::Elem (&buf)[Cfg::SIMD][2 * Cfg::ROW_WORDS],
                          unsigned addr, unsigned skew, typename Cfg::Word const &word) {
#pragma HLS INLINE
    for (unsigned bank = 0; bank < Cfg::SIMD; bank++) {
#pragma HLS UNROLL
        unsigned const lane = (bank + Cfg::SIMD - skew) % Cfg::SIMD;
        buf[bank][addr] = word((lane + 1) * Cfg::BITS - 1, lane * Cfg::BITS);
    }
}

// Output word for HR sub-pixel `sub` of LR pixel `w`, channel fold `fold`.
template <typename Cfg>
typename Cfg::Word depth_to_space_load(typename Cfg::Elem (&buf)[Cfg::SIMD][2 * Cfg::ROW_WORDS],
                                       unsigned half_base, unsigned w, unsigned fold,
                                       unsigned sub) {
#pragma HLS INLINE
    typename Cfg::Elem banks[Cfg::SIMD];
#pragma HLS ARRAY_PARTITION variable=banks complete dim=1
    unsigned const fold_base = half_base + w * Cfg::PIXEL_WORDS + fold * Cfg::SS;
    for (unsigned bank = 0; bank < Cfg::SIMD; bank++) {
#pragma HLS UNROLL
        unsigned const lane = depth_to_space_lane_in_bank<Cfg>(bank, sub);
        banks[bank] = buf[bank][fold_base + (lane * Cfg::SS + sub) / Cfg::SIMD];
    }
    typename Cfg::Word word;
    for (unsigned lane = 0; lane < Cfg::SIMD; lane++) {
#pragma HLS UNROLL
        word((lane + 1) * Cfg::BITS - 1, lane * Cfg::BITS) =
            banks[depth_to_space_bank_of_lane<Cfg>(lane, sub)];
    }
    return word;
}

// Streams `rows` LR rows (images stacked: rows stay independent) through `buf`.
template <typename Cfg>
void depth_to_space_rows(hls::stream<typename Cfg::Word> &in,
                         hls::stream<typename Cfg::Word> &out, unsigned rows,
                         typename Cfg::Elem (&buf)[Cfg::SIMD][2 * Cfg::ROW_WORDS]) {
#pragma HLS INLINE
    unsigned row = 0;       // LR row being written; row - 1 is being read
    unsigned pos = 0;       // word index within the row phase, in and out alike
    unsigned in_sub = 0;    // input word index modulo SS, sets the skew
    unsigned out_i = 0;     // HR row within the LR row
    unsigned out_w = 0;     // LR column
    unsigned out_j = 0;     // HR column within the LR column
    unsigned out_fold = 0;  // channel fold
    unsigned const iterations = (rows + 1) * Cfg::ROW_WORDS;
    for (unsigned it = 0; it < iterations; it++) {
#pragma HLS PIPELINE II=1 style=flp
// Writes and reads always hit opposite halves; a row is read ROW_WORDS cycles after it is written.
#pragma HLS DEPENDENCE variable=buf type=inter dependent=false
#pragma HLS DEPENDENCE variable=buf type=intra dependent=false
        unsigned const write_base = (row & 1) * Cfg::ROW_WORDS;
        unsigned const read_base = ((row + 1) & 1) * Cfg::ROW_WORDS;
        if (row < rows) {
            depth_to_space_store<Cfg>(buf, write_base + pos, in_sub / Cfg::SKEW_RUN, in.read());
        }
        if (row > 0) {
            out.write(depth_to_space_load<Cfg>(buf, read_base, out_w, out_fold,
                                               out_i * Cfg::S + out_j));
        }

        in_sub = (in_sub == Cfg::SS - 1) ? 0 : in_sub + 1;
        if (++out_fold == Cfg::FOLDS) {
            out_fold = 0;
            if (++out_j == Cfg::S) {
                out_j = 0;
                if (++out_w == Cfg::W) {
                    out_w = 0;
                    if (++out_i == Cfg::S) out_i = 0;
                }
            }
        }
        if (++pos == Cfg::ROW_WORDS) {
            pos = 0;
            row++;
        }
    }
}

// Processes `reps` images of Cfg::H x Cfg::W LR pixels.
template <typename Cfg>
void depth_to_space(hls::stream<typename Cfg::Word> &in, hls::stream<typename Cfg::Word> &out,
                    unsigned reps, DepthToSpaceBram) {
    typename Cfg::Elem buf[Cfg::SIMD][2 * Cfg::ROW_WORDS];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
#pragma HLS BIND_STORAGE variable=buf type=ram_s2p impl=bram
    depth_to_space_rows<Cfg>(in, out, reps * Cfg::H, buf);
}

template <typename Cfg>
void depth_to_space(hls::stream<typename Cfg::Word> &in, hls::stream<typename Cfg::Word> &out,
                    unsigned reps, DepthToSpaceLutram) {
    typename Cfg::Elem buf[Cfg::SIMD][2 * Cfg::ROW_WORDS];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
#pragma HLS BIND_STORAGE variable=buf type=ram_s2p impl=lutram
    depth_to_space_rows<Cfg>(in, out, reps * Cfg::H, buf);
}

#endif  // DEPTH_TO_SPACE_HPP
