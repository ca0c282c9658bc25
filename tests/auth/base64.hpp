#ifndef WEBHOOK_TESTS_AUTH_BASE64_HPP
#define WEBHOOK_TESTS_AUTH_BASE64_HPP

// Base64 (RFC 4648, with padding), written here from the RFC and not taken from the library:
// the tests compute the bytes they expect on their own.

#include <cstddef>
#include <string>
#include <string_view>

namespace webhook::test {

inline std::string base64(std::string_view in) {
    constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        unsigned group = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size())
            group |= static_cast<unsigned char>(in[i + 1]) << 8;
        if (i + 2 < in.size())
            group |= static_cast<unsigned char>(in[i + 2]);
        out += alphabet[(group >> 18) & 63];
        out += alphabet[(group >> 12) & 63];
        out += i + 1 < in.size() ? alphabet[(group >> 6) & 63] : '=';
        out += i + 2 < in.size() ? alphabet[group & 63] : '=';
    }
    return out;
}

} // namespace webhook::test

#endif
