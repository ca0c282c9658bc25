#ifndef WEBHOOK_JSON_DETAIL_DATA_PATH_HPP
#define WEBHOOK_JSON_DETAIL_DATA_PATH_HPP

#include <webhook/detail/utf8.hpp>
#include <webhook/error.hpp>
#include <webhook/json/detail/escape.hpp>

#include <cstddef>
#include <string_view>

// The data-location grammar, shared by the run-time `data_path` and the compile-time
// `to_string<"root/result">` form so that both accept exactly the same texts.
namespace webhook::detail {

struct path_scan {
    error problem{};        // value-initialised: no problem
    std::size_t offset = 0; // where the problem is, in the original text
    std::size_t first = 0;  // the segments are text[first, last)
    std::size_t last = 0;
};

constexpr bool is_path_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/** Validates a data-location text.

    Surrounding white space is ignored, then one leading and one trailing `/`, then white space
    again (so that the normalized text never starts or ends with it). What remains is split at
    `/`; every segment must be non-empty, free of control characters and valid
    UTF-8. Bytes inside a segment are kept exactly, spaces included.
*/
constexpr path_scan scan_data_path(std::string_view text) noexcept {
    path_scan r;
    std::size_t first = 0;
    std::size_t last = text.size();
    while (first < last && is_path_space(text[first]))
        ++first;
    while (last > first && is_path_space(text[last - 1]))
        --last;
    const std::size_t trimmed = last - first;
    if (trimmed == 0 || (trimmed == 1 && text[first] == '/')) {
        r.first = r.last = first;
        return r;
    }
    if (text[first] == '/')
        ++first;
    if (last > first && text[last - 1] == '/')
        --last;
    // White space just inside the outer slashes is outer white space too: kept, it would start
    // or end the normalized text, which then would not parse back to the same path
    // ("/ a/" would give " a", which reads as "a").
    while (first < last && is_path_space(text[first]))
        ++first;
    while (last > first && is_path_space(text[last - 1]))
        --last;
    if (first == last) { // the text was "//" or "/ /"
        r.problem = error::empty_path_segment;
        r.offset = first;
        return r;
    }
    std::size_t segment_start = first;
    for (std::size_t i = first; i <= last; ++i) {
        if (i == last || text[i] == '/') {
            if (i == segment_start) {
                r.problem = error::empty_path_segment;
                r.offset = i;
                return r;
            }
            segment_start = i + 1;
            continue;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) {
            r.problem = error::control_character_in_path;
            r.offset = i;
            return r;
        }
    }
    const std::string_view body = text.substr(first, last - first);
    if (const auto bad = find_invalid_utf8(body); bad != std::string_view::npos) {
        r.problem = error::invalid_utf8;
        r.offset = first + bad;
        return r;
    }
    r.first = first;
    r.last = last;
    return r;
}

/// Calls `f(segment)` for each segment of a validated body (the `[first, last)` of a scan).
template <class F>
constexpr void for_each_segment(std::string_view body, F&& f) {
    while (!body.empty()) {
        // A loop, not string_view::find: GCC 12 cannot constant-evaluate the null check that
        // -fsanitize=null adds to the pointer char_traits::find returns.
        std::size_t slash = 0;
        while (slash < body.size() && body[slash] != '/')
            ++slash;
        if (slash == body.size())
            slash = std::string_view::npos;
        f(body.substr(0, slash));
        if (slash == std::string_view::npos)
            break;
        body.remove_prefix(slash + 1);
    }
}

/// Bytes of the prefix `{"a":{"b":` for a validated body.
constexpr std::size_t path_prefix_size(std::string_view body) noexcept {
    std::size_t n = 0;
    for_each_segment(body, [&](std::string_view s) { n += json::detail::escaped_size(s) + 4; });
    return n;
}

/// Number of segments of a validated body: the suffix is that many `}`.
constexpr std::size_t path_depth(std::string_view body) noexcept {
    std::size_t n = 0;
    for_each_segment(body, [&](std::string_view) { ++n; });
    return n;
}

/// Writes the prefix for a validated body at `out` and returns the end.
constexpr char* write_path_prefix(char* out, std::string_view body) noexcept {
    for_each_segment(body, [&](std::string_view s) {
        *out++ = '{';
        *out++ = '"';
        out = json::detail::escape_to(out, s);
        *out++ = '"';
        *out++ = ':';
    });
    return out;
}

} // namespace webhook::detail

#endif
