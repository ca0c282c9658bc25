#ifndef WEBHOOK_DETAIL_QUOTE_HPP
#define WEBHOOK_DETAIL_QUOTE_HPP

#include <webhook/detail/utf8.hpp>

#include <cstddef>
#include <string>
#include <string_view>

// How error texts and descriptions show text that came from a user (a path, a name, a key):
// one function, so that every message escapes the same bytes the same way.
namespace webhook::detail {

/** Appends `text` to `out` so that the result is printable, valid UTF-8 that cannot be
    mistaken for the message around it: every byte of a control character (U+0000 to U+001F,
    U+007F, and U+0080 to U+009F, which terminals also act on), of `"` and `\`, and of a
    sequence that is not well-formed UTF-8 (a lone continuation byte, a truncated or overlong
    sequence, a surrogate, anything above U+10FFFF) is written as `\xNN`, uppercase. Other
    text, non-ASCII included, is kept as it is. */
inline void append_escaped(std::string& out, std::string_view text) {
    constexpr char hex[] = "0123456789ABCDEF";
    const auto escape = [&](unsigned char c) {
        const char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        out.append(e, 4);
    };
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p != end) {
        const auto c = static_cast<unsigned char>(*p);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
                escape(c);
            else
                out += *p;
            ++p;
            continue;
        }
        const std::size_t n = utf8_sequence_length(p, end);
        // C1 controls are the well-formed two-byte sequences C2 80 to C2 9F.
        const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(p[1]) <= 0x9F;
        if (n == 0) {
            escape(c); // only this byte: the next one may start a good sequence
            ++p;
        } else if (c1) {
            escape(c);
            escape(static_cast<unsigned char>(p[1]));
            p += 2;
        } else {
            out.append(p, n);
            p += n;
        }
    }
}

/// `text` between double quotes, escaped as `append_escaped` does: `"root/\x00x"`.
inline std::string quote_for_message(std::string_view text) {
    std::string m;
    m.reserve(text.size() + 2);
    m += '"';
    append_escaped(m, text);
    m += '"';
    return m;
}

} // namespace webhook::detail

#endif
