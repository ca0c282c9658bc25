#ifndef WEBHOOK_TRANSPORT_DETAIL_REPLACE_FIELD_HPP
#define WEBHOOK_TRANSPORT_DETAIL_REPLACE_FIELD_HPP

#include <boost/beast/http/fields.hpp>

#include <cstring>
#include <iterator>
#include <string_view>

namespace webhook::detail {

/** Sets the one header field `name` (a `boost::beast::http::field` or a name) to `value`, like
    `fields.set`, but writes over the present value when it has as many bytes. Beast's `set`
    erases the field and allocates it anew: once per request for the fields that change with
    every event (webhook-id, Content-Length, a signature and its timestamp), which keep their
    length from one event to the next. */
template <class Name>
void replace_field(boost::beast::http::fields& fields, Name name, std::string_view value) {
    const auto [first, last] = fields.equal_range(name);
    if (first != last && std::next(first) == last && first->value().size() == value.size()) {
        // Beast keeps "name: value\r\n" in the field's own writable block, right after the
        // element, and serializes that block as it is: overwriting the value is all it takes.
        std::memcpy(const_cast<char*>(first->value().data()), value.data(), value.size());
        return;
    }
    fields.set(name, boost::beast::string_view(value.data(), value.size()));
}

} // namespace webhook::detail

#endif
