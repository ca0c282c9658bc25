#ifndef WEBHOOK_OBSERVE_IMPL_TRACE_CONTEXT_HPP
#define WEBHOOK_OBSERVE_IMPL_TRACE_CONTEXT_HPP

#include <algorithm>
#include <cstddef>

namespace webhook {

namespace detail {

constexpr bool lower_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

constexpr int hex_value(char c) noexcept {
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

/// `text` is all lowercase hex and, when `nonzero`, not all `0`.
constexpr bool hex_field(std::string_view text, bool nonzero) noexcept {
    return std::all_of(text.begin(), text.end(), lower_hex) &&
           (!nonzero || text.find_first_not_of('0') != std::string_view::npos);
}

constexpr bool key_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' ||
           c == '/';
}

/// A `tracestate` key: `[a-z][key chars]{0,255}`, or `tenant@system` with a tenant of
/// `[a-z0-9][key chars]{0,240}` and a system of `[a-z][key chars]{0,13}`.
constexpr bool tracestate_key(std::string_view key) noexcept {
    const auto word = [](std::string_view w, bool digit_first, std::size_t max) {
        return !w.empty() && w.size() <= max &&
               ((w[0] >= 'a' && w[0] <= 'z') || (digit_first && w[0] >= '0' && w[0] <= '9')) &&
               std::all_of(w.begin(), w.end(), key_char);
    };
    const std::size_t at = key.find('@');
    if (at == std::string_view::npos)
        return word(key, false, 256);
    return word(key.substr(0, at), true, 241) && word(key.substr(at + 1), false, 14);
}

/// A `tracestate` value: 1 to 256 printable ASCII characters but `,` and `=`, no trailing space.
constexpr bool tracestate_value(std::string_view value) noexcept {
    return !value.empty() && value.size() <= 256 && value.back() != ' ' &&
           std::all_of(value.begin(), value.end(),
                       [](char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; });
}

} // namespace detail

inline bool valid_tracestate(std::string_view state) noexcept {
    constexpr std::size_t max_members = 32;
    std::string_view keys[max_members];
    std::size_t members = 0;
    while (true) {
        const std::size_t comma = state.find(',');
        std::string_view member = state.substr(0, comma);
        const std::size_t first = member.find_first_not_of(" \t");
        member = first == std::string_view::npos
                     ? std::string_view{}
                     : member.substr(first, member.find_last_not_of(" \t") - first + 1);
        if (!member.empty()) {
            const std::size_t eq = member.find('=');
            if (eq == std::string_view::npos || members == max_members)
                return false;
            const std::string_view key = member.substr(0, eq);
            if (!detail::tracestate_key(key) || !detail::tracestate_value(member.substr(eq + 1)) ||
                std::find(keys, keys + members, key) != keys + members)
                return false;
            keys[members++] = key;
        }
        if (comma == std::string_view::npos)
            return true;
        state.remove_prefix(comma + 1);
    }
}

inline boost::system::result<trace_context> trace_context::parse(std::string_view traceparent,
                                                                 std::string_view tracestate) {
    // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55
    constexpr std::size_t length = 55;
    const std::string_view p = traceparent;
    if (p.size() < length || !detail::hex_field(p.substr(0, 2), false) || p.substr(0, 2) == "ff" ||
        (p.substr(0, 2) == "00" ? p.size() != length : p.size() > length && p[length] != '-') ||
        p[2] != '-' || p[35] != '-' || p[52] != '-' || !detail::hex_field(p.substr(3, 32), true) ||
        !detail::hex_field(p.substr(36, 16), true) || !detail::hex_field(p.substr(53, 2), false))
        return make_error_code(error::invalid_traceparent);
    if (!valid_tracestate(tracestate))
        return make_error_code(error::invalid_tracestate);
    trace_context c;
    std::copy_n(p.data() + 3, 32, c.trace_id_.data());
    std::copy_n(p.data() + 36, 16, c.parent_id_.data());
    c.flags_ = static_cast<std::uint8_t>(detail::hex_value(p[53]) * 16 + detail::hex_value(p[54]));
    c.tracestate_.assign(tracestate);
    return c;
}

inline std::string trace_context::child_traceparent(const span_id_text& span) const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(55);
    out.append("00-").append(trace_id()).push_back('-');
    out.append(span.data(), span.size()).push_back('-');
    out.push_back(digits[flags_ >> 4]);
    out.push_back(digits[flags_ & 15]);
    return out;
}

inline std::string trace_context::traceparent() const {
    return child_traceparent(parent_id_);
}

inline span_id_text make_span_id(std::uint64_t bits) noexcept {
    static constexpr char digits[] = "0123456789abcdef";
    if (bits == 0)
        bits = 1;
    span_id_text out;
    for (std::size_t i = out.size(); i-- > 0; bits >>= 4)
        out[i] = digits[bits & 15];
    return out;
}

} // namespace webhook

#endif
