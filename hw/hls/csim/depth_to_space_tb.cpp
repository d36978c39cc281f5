// C-simulation test bench for hw/hls/depth_to_space.hpp.
//
// One build holds several kernel configurations (g++ spends its time parsing the
// ap_int headers, so one build for all is much faster than one per config):
//   g++ -std=c++14 -I hw/hls -I <ap_types> depth_to_space_tb.cpp \
//       -DD2S_CONFIGS='D2S_CONFIG(a, H, W, C, S, SIMD, BITS, BramDut) D2S_CONFIG(b, ...)'
// DUT is BramDut or LutramDut (the kernel's two buffer storages), or TopDut: a
// FINN-generated top function, built in with
//   -I hw/hls/csim -DD2S_GENERATED_TOP='"top_<node>.cpp"' -DD2S_TOP=<node>
// (hw/hls/csim holds a stand-in for finn-hlslib's bnn-library.h).
//
// Usage: depth_to_space_tb NAME REPS IN_WORDS OUT_WORDS
//   NAME     : first argument of a D2S_CONFIG
//   REPS     : images in the input (TopDut has its own, compiled in)
//   IN_WORDS : input stream, one word per line, hex without prefix
//   OUT_WORDS: written by the bench, same format
// Exit status: 0 ok, 1 usage or I/O error, 2 wrong number of stream words.
#ifdef D2S_GENERATED_TOP
#include D2S_GENERATED_TOP
#endif
#include "depth_to_space.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

template <typename Cfg>
struct BramDut {
    static void run(hls::stream<typename Cfg::Word> &in, hls::stream<typename Cfg::Word> &out,
                    unsigned reps) {
        depth_to_space<Cfg>(in, out, reps, DepthToSpaceBram());
    }
};

template <typename Cfg>
struct LutramDut {
    static void run(hls::stream<typename Cfg::Word> &in, hls::stream<typename Cfg::Word> &out,
                    unsigned reps) {
        depth_to_space<Cfg>(in, out, reps, DepthToSpaceLutram());
    }
};

#ifdef D2S_TOP
template <typename Cfg>
struct TopDut {
    static void run(hls::stream<typename Cfg::Word> &in, hls::stream<typename Cfg::Word> &out,
                    unsigned) {
        D2S_TOP(in, out);
    }
};
#endif

// Hex digit by digit because words may be wider than any built-in integer.
template <int BITS>
bool parse_hex(std::string const &text, ap_uint<BITS> &word) {
    constexpr int DIGITS = (BITS + 3) / 4;
    ap_uint<4 * DIGITS + 4> value = 0;
    if (text.empty() || text.size() > static_cast<std::size_t>(DIGITS)) return false;
    for (char const digit : text) {
        unsigned nibble;
        if (digit >= '0' && digit <= '9') nibble = digit - '0';
        else if (digit >= 'a' && digit <= 'f') nibble = digit - 'a' + 10;
        else if (digit >= 'A' && digit <= 'F') nibble = digit - 'A' + 10;
        else return false;
        value = (value << 4) | nibble;
    }
    word = value(BITS - 1, 0);
    return true;
}

template <int BITS>
std::string format_hex(ap_uint<BITS> const &word) {
    constexpr int DIGITS = (BITS + 3) / 4;
    static char const HEX[] = "0123456789abcdef";
    ap_uint<4 * DIGITS> const value = word;
    std::string text;
    for (int digit = DIGITS - 1; digit >= 0; digit--) {
        text += HEX[value(4 * digit + 3, 4 * digit).to_uint()];
    }
    return text;
}

template <typename Cfg, template <typename> class Dut>
int simulate(char const *in_path, char const *out_path, unsigned reps) {
    using Word = typename Cfg::Word;
    unsigned long const stream_words = static_cast<unsigned long>(reps) * Cfg::H * Cfg::ROW_WORDS;
    std::ifstream in_file(in_path);
    if (!in_file) {
        std::cerr << "cannot read " << in_path << std::endl;
        return 1;
    }
    hls::stream<Word> in("in");
    hls::stream<Word> out("out");
    unsigned long in_count = 0;
    for (std::string line; std::getline(in_file, line);) {
        Word word;
        if (!parse_hex(line, word)) {
            std::cerr << "bad hex word on line " << in_count + 1 << ": " << line << std::endl;
            return 1;
        }
        in.write(word);
        in_count++;
    }
    if (in_count != stream_words) {
        std::cerr << "expected " << stream_words << " input words, got " << in_count << std::endl;
        return 2;
    }

    Dut<Cfg>::run(in, out, reps);

    std::ofstream out_file(out_path);
    unsigned long out_count = 0;
    while (!out.empty()) {
        out_file << format_hex(out.read()) << '\n';
        out_count++;
    }
    if (!in.empty() || out_count != stream_words) {
        std::cerr << "kernel left input words or produced " << out_count << " of "
                  << stream_words << " output words" << std::endl;
        return 2;
    }
    return out_file ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        std::cerr << "usage: " << argv[0] << " NAME REPS IN_WORDS OUT_WORDS" << std::endl;
        return 1;
    }
    std::string const name = argv[1];
    unsigned const reps = std::strtoul(argv[2], nullptr, 10);
#define D2S_CONFIG(NAME, H, W, C, S, SIMD, BITS, DUT)                                  \
    if (name == #NAME) {                                                               \
        return simulate<DepthToSpaceConfig<H, W, C, S, SIMD, BITS>, DUT>(argv[3], argv[4], \
                                                                         reps);        \
    }
    D2S_CONFIGS
#undef D2S_CONFIG
    std::cerr << "no configuration named " << name << " in this build" << std::endl;
    return 1;
}
