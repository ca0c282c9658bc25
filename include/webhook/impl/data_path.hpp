#ifndef WEBHOOK_IMPL_DATA_PATH_HPP
#define WEBHOOK_IMPL_DATA_PATH_HPP

#include <boost/throw_exception.hpp>

#include <cstdio>

namespace webhook {

namespace detail {

// The text, quoted, with control characters shown as \xNN rather than emitted raw.
inline std::string quote_for_message(std::string_view text) {
    std::string m = "\"";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
            m += buf;
        } else {
            m += ch;
        }
    }
    m += '"';
    return m;
}

} // namespace detail

inline std::string data_path_error::message() const {
    std::string m = "data location " + detail::quote_for_message(text) + ": ";
    if (code == error::empty_path_segment)
        m += "empty segment";
    else if (code == error::control_character_in_path)
        m += "control character";
    else if (code == error::invalid_utf8)
        m += "invalid UTF-8";
    else
        m += code.message();
    m += " at offset ";
    m += std::to_string(offset);
    return m;
}

inline void throw_exception_from_error(const data_path_error& e,
                                       const boost::source_location& loc) {
    // system_error appends the code's own message: "<text> at offset 5: data location has ..."
    boost::throw_exception(
        boost::system::system_error(e.code, detail::quote_for_message(e.text) + " at offset " +
                                                std::to_string(e.offset)),
        loc);
}

inline boost::system::result<data_path, data_path_error> data_path::parse(std::string_view text) {
    const detail::path_scan scan = detail::scan_data_path(text);
    if (scan.problem != error{})
        return data_path_error{scan.problem, scan.offset, std::string(text)};

    data_path p;
    const std::string_view body = text.substr(scan.first, scan.last - scan.first);
    p.text_.assign(body);
    p.prefix_size_ = detail::path_prefix_size(body);
    p.bytes_.resize(p.prefix_size_ + detail::path_depth(body), '}');
    detail::write_path_prefix(p.bytes_.data(), body);
    return p;
}

} // namespace webhook

#endif
