#ifndef WEBHOOK_FUZZ_SPOOL_INPUT_HPP
#define WEBHOOK_FUZZ_SPOOL_INPUT_HPP

// The spool target's input format: the files of a spool directory, so that a seed can hold
// what the real file_spool wrote (make_spool_seeds.cpp) and the fuzzer can change any byte.
//
//   byte 0: flags. bit 0: recompute the CRC of each record found in .wal files (else a
//           changed byte nearly always just fails its CRC); bit 1: recompute the CRC of each
//           .ack entry; bits 4-7: which records the target acknowledges (see spool.cpp).
//   then files, each: u8 kind (0 .wal, 1 .ack, 2 .wal.tmp, by kind % 3) | u8 name (the first
//           sequence: 0-253 as is, 254 is 2^32, 255 is 2^64-1) | u16 size (little-endian) |
//           the bytes. A short last file takes what is left.

#include <webhook/spool/detail/journal_codec.hpp>
#include <webhook/spool/file_spool.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz_spool {

struct file {
    unsigned kind = 0; // 0 .wal, 1 .ack, 2 .wal.tmp
    std::uint64_t first = 0;
    std::string bytes;
};

struct input {
    unsigned flags = 0;
    std::vector<file> files;
};

inline std::uint64_t first_of(unsigned char name) {
    if (name == 254)
        return std::uint64_t{1} << 32;
    if (name == 255)
        return std::numeric_limits<std::uint64_t>::max();
    return name;
}

inline unsigned char name_of(std::uint64_t first) {
    if (first == std::uint64_t{1} << 32)
        return 254;
    if (first == std::numeric_limits<std::uint64_t>::max())
        return 255;
    return static_cast<unsigned char>(first); // seeds use small sequences only
}

inline input decode(std::string_view data) {
    input in;
    if (data.empty())
        return in;
    in.flags = static_cast<unsigned char>(data[0]);
    data.remove_prefix(1);
    while (data.size() >= 4) {
        file f;
        f.kind = static_cast<unsigned char>(data[0]) % 3;
        f.first = first_of(static_cast<unsigned char>(data[1]));
        const std::size_t n = static_cast<unsigned char>(data[2]) |
                              static_cast<std::size_t>(static_cast<unsigned char>(data[3])) << 8;
        data.remove_prefix(4);
        f.bytes = std::string(data.substr(0, n));
        data.remove_prefix(std::min(n, data.size()));
        in.files.push_back(std::move(f));
    }
    return in;
}

inline std::string encode(const input& in) {
    std::string out(1, static_cast<char>(in.flags));
    for (const file& f : in.files) {
        out += static_cast<char>(f.kind);
        out += static_cast<char>(name_of(f.first));
        out += static_cast<char>(f.bytes.size() & 0xFF);
        out += static_cast<char>(f.bytes.size() >> 8 & 0xFF);
        out += f.bytes;
    }
    return out;
}

inline const char* extension(unsigned kind) {
    return kind == 0 ? ".wal" : kind == 1 ? ".ack" : ".wal.tmp";
}

inline std::string file_name(const file& f) {
    char name[48];
    std::snprintf(name, sizeof name, "seg-%016llx%s", static_cast<unsigned long long>(f.first),
                  extension(f.kind));
    return name;
}

/// The files of a spool directory, as the input format holds them.
inline input read_directory(const std::filesystem::path& dir, unsigned flags) {
    input in;
    in.flags = flags;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        for (unsigned kind = 0; kind < 3; ++kind) {
            const auto first = webhook::detail::spool_file::parse_name(name, extension(kind));
            if (!first)
                continue;
            std::ifstream s(e.path(), std::ios::binary);
            file f{kind, *first, std::string(std::istreambuf_iterator<char>(s), {})};
            in.files.push_back(std::move(f));
            break;
        }
    }
    std::sort(in.files.begin(), in.files.end(), [](const file& a, const file& b) {
        return a.first != b.first ? a.first < b.first : a.kind < b.kind;
    });
    return in;
}

} // namespace fuzz_spool

#endif
