#ifndef WEBHOOK_JSON_IMPL_DATA_PATH_HPP
#define WEBHOOK_JSON_IMPL_DATA_PATH_HPP

#include <webhook/detail/quote.hpp>

#include <boost/throw_exception.hpp>

#include <string>

namespace webhook {

namespace detail {

/// "empty segment at offset 5": the problem in words, as every form of the check reports it.
inline std::string describe_path_problem(boost::system::error_code code, std::size_t offset) {
    std::string m;
    if (code == error::empty_path_segment)
        m = "empty segment";
    else if (code == error::control_character_in_path)
        m = "control character";
    else if (code == error::invalid_utf8)
        m = "invalid UTF-8";
    else
        m = code.message();
    m += " at offset ";
    m += std::to_string(offset);
    return m;
}

} // namespace detail

inline std::string data_path_error::message() const {
    return "data location " + detail::quote_for_message(text) + ": " +
           detail::describe_path_problem(code, offset);
}

inline void throw_exception_from_error(const data_path_error& e,
                                       const boost::source_location& loc) {
    // The same words as `message()`; system_error appends the code's own message.
    boost::throw_exception(boost::system::system_error(e.code, e.message()), loc);
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
