#ifndef WEBHOOK_CONFIG_DETAIL_TEXT_HPP
#define WEBHOOK_CONFIG_DETAIL_TEXT_HPP

// Text helpers of the configuration: durations as the loader reads and the printer writes
// them, URLs with their credentials hidden, control characters, file checks.

#include <webhook/detail/quote.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace webhook::detail {

/// "10s", "1500ms", "5m", "2h": the largest unit that divides the value, as the loader reads it.
inline std::string format_duration(std::chrono::milliseconds d) {
    if (d == std::chrono::milliseconds::max())
        return "unlimited";
    const auto n = d.count();
    if (n == 0)
        return "0ms";
    if (n % 3'600'000 == 0)
        return std::to_string(n / 3'600'000) + "h";
    if (n % 60'000 == 0)
        return std::to_string(n / 60'000) + "m";
    if (n % 1'000 == 0)
        return std::to_string(n / 1'000) + "s";
    return std::to_string(n) + "ms";
}

/// A duration string: decimal digits, then `ms`, `s`, `m` or `h`. Nothing else, so that a
/// typo such as "10 s" or "10sec" is an error rather than a guess.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits == 0 || digits > 15) // keeps `value` in range; the product is checked below
        return std::nullopt;
    std::int64_t value = 0;
    for (std::size_t i = 0; i < digits; ++i)
        value = value * 10 + (text[i] - '0');
    const std::string_view unit = text.substr(digits);
    std::int64_t factor = 0;
    if (unit == "ms")
        factor = 1;
    else if (unit == "s")
        factor = 1'000;
    else if (unit == "m")
        factor = 60'000;
    else if (unit == "h")
        factor = 3'600'000;
    else
        return std::nullopt;
    if (value > std::numeric_limits<std::int64_t>::max() / factor)
        return std::nullopt;
    return std::chrono::milliseconds{value * factor};
}

/// The URL with anything that may be a credential replaced by `***`: user info (refused by
/// validation, but an unvalidated endpoint can still be printed) and the query, where
/// receivers often expect a token (`?code=...`, `?token=...`).
inline std::string redact_url(std::string_view url) {
    std::string out;
    std::size_t authority = url.find("://");
    authority = authority == std::string_view::npos ? 0 : authority + 3;
    const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
    const std::size_t at = url.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos && at >= authority)
        out.append(url.substr(0, authority))
            .append("***")
            .append(url.substr(at, authority_end - at));
    else
        out.append(url.substr(0, authority_end));
    const std::string_view rest = url.substr(authority_end);
    const std::size_t query = rest.find('?');
    if (query == std::string_view::npos)
        out.append(rest);
    else
        out.append(rest.substr(0, query)).append("?***");
    std::string escaped; // control characters and bytes that are not UTF-8 escaped
    append_escaped(escaped, out);
    return escaped;
}

/// Whether `o` is this machine: `localhost` (RFC 6761), or a loopback IP literal.
inline bool is_loopback_origin(const origin& o) {
    if (iequals(o.host, "localhost"))
        return true;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(o.host, ec);
    return !ec && address.is_loopback();
}

/// Whether credentials sent to `o` would cross a network in clear text.
inline bool exposes_credentials(const origin& o) {
    return !o.tls && !is_loopback_origin(o);
}

/// For header values: a tab is allowed there (RFC 9110), any other control character not.
inline bool has_control_character(std::string_view s) noexcept {
    return std::any_of(s.begin(), s.end(), [](char c) { return is_forbidden_in_value(c); });
}

/// For credentials: RFC 7617 and RFC 6750 allow no control character at all, tab included.
inline bool has_any_control_character(std::string_view s) noexcept {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7F;
    });
}

/** Why the file (or, with `directory`, the directory) at `path` cannot be read, as
    `cannot read "/etc/acme/ca.pem": No such file or directory`, or nothing. Only its type and
    whether it opens are checked: nothing is read, so that a check cannot block. */
inline std::optional<std::string> unreadable(const std::string& path, bool directory) {
    namespace fs = std::filesystem;
    const auto cannot_read = [&](const std::string& why) {
        return "cannot read " + quote_for_message(path) + ": " + why;
    };
    if (path.find('\0') != std::string::npos) // the C APIs would open a shorter path
        return cannot_read("the path contains a NUL character");
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec)
        return cannot_read(ec.message());
    if (directory) {
        if (!fs::is_directory(status))
            return cannot_read(std::generic_category().message(ENOTDIR));
        fs::directory_iterator listing(path, ec);
        if (ec)
            return cannot_read(ec.message());
        return std::nullopt;
    }
    if (fs::is_directory(status))
        return cannot_read(std::generic_category().message(EISDIR));
    if (!fs::is_regular_file(status)) // a FIFO or a device could block, or never end
        return cannot_read("not a regular file");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        return cannot_read(std::generic_category().message(errno));
    std::fclose(f);
    return std::nullopt;
}

/// The whole file at `path`, or nothing with `error` set to why it cannot be read.
inline std::optional<std::string> read_whole_file(const std::string& path, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        error = std::generic_category().message(errno);
        return std::nullopt;
    }
    std::string content;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
        content.append(buffer, n);
    const bool failed = std::ferror(f) != 0;
    const int saved = errno; // a directory fails here, with EISDIR
    std::fclose(f);
    if (failed) {
        error = std::generic_category().message(saved);
        return std::nullopt;
    }
    return content;
}

/// "line 3, column 14" of byte `offset` in `text`; columns count bytes, from 1.
inline std::string text_position(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i)
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

} // namespace webhook::detail

#endif
