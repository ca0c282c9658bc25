#ifndef WEBHOOK_JSON_IMPL_SERIALIZE_HPP
#define WEBHOOK_JSON_IMPL_SERIALIZE_HPP

#include <webhook/detail/utf8.hpp>
#include <webhook/json/detail/members.hpp>
#include <webhook/json/detail/number.hpp>
#include <webhook/json/detail/string.hpp>
#include <webhook/json/detail/time.hpp>
#include <webhook/json/detail/writer.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace webhook::json {

template <class T>
consteval bool require_serializable() noexcept {
    using problem = decltype(detail::find_problem<std::remove_cvref_t<T>>());
    if constexpr (std::is_same_v<problem, detail::no_problem>) {
        return true;
    } else {
        detail::report(problem{}); // the one static_assert, naming what cannot be written
        return false;
    }
}

} // namespace webhook::json

namespace webhook::json::detail {

template <class T>
void write_value(writer& w, const T& v);

inline void write_null(writer& w) {
    w.append("null", 4);
}

/// Records `e` and writes `null` in place of the value, so that writing goes on.
inline void fail_with_null(writer& w, error e) {
    w.fail(e);
    write_null(w);
}

template <class T>
void write_integer(writer& w, T v) {
    char* p = w.reserve(max_integer_size);
    w.commit(write_int(p, v));
}

template <class T>
void write_floating(writer& w, T v) {
    if (!std::isfinite(v)) {
        if (w.options().non_finite == non_finite_policy::reject)
            w.fail(error::non_finite_number);
        write_null(w);
        return;
    }
    char* p = w.reserve(max_number_size);
    w.commit(write_shortest(p, v));
}

template <class E>
void write_enum(writer& w, E v) {
    static_assert(check_wire_names<E>());
    bool named = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
        if (!named && d.value == v) {
            named = true;
            using name = quoted_name<E, decltype(d)>;
            w.append(name::bytes.data(), name::size);
        }
    });
    if (!named)
        fail_with_null(w, error::unnamed_enum_value);
}

template <class D>
void write_time(writer& w, std::chrono::time_point<std::chrono::system_clock, D> tp) {
    char* p = w.reserve(max_rfc3339_size);
    if (char* end = write_rfc3339(p, tp)) {
        w.commit(end);
        return;
    }
    fail_with_null(w, error::time_out_of_range);
}

template <class K>
void write_key(writer& w, const K& key);

/// Makes the sink of an adapter, whose constructor is private.
struct sink_access {
    static text_sink make(writer& w) noexcept { return text_sink(w); }
};

/// Length of the sequence that starts with the byte from 0x80 at `p`: well-formed UTF-8, or 0;
/// 1 when the options assume valid UTF-8, whose bytes are copied unchecked.
inline std::size_t high_sequence_length(const writer& w, const char* p, const char* end) {
    if (w.options().invalid_utf8 == utf8_policy::assume_valid)
        return 1;
    return webhook::detail::utf8_sequence_length(p, end);
}

/** Size of the bytes `[p, end)` as the inside of a JSON string: escapes, well-formed UTF-8
    as it is, and under `utf8_policy::replace` three bytes of U+FFFD for each byte that starts
    no well-formed sequence. 0 with `error::invalid_utf8` recorded under `utf8_policy::reject`;
    not 0 otherwise, for `p != end`. */
inline std::size_t string_content_size(writer& w, const char* p, const char* end) {
    std::size_t size = 0;
    while (p != end) {
        const auto c = static_cast<unsigned char>(*p);
        if (c < 0x80) {
            size += !needs_escape(c) ? 1 : short_escape(c) ? 2 : 6;
            ++p;
        } else if (const std::size_t n = high_sequence_length(w, p, end)) {
            size += n;
            p += n;
        } else if (w.options().invalid_utf8 == utf8_policy::replace) {
            size += 3;
            ++p;
        } else {
            w.fail(error::invalid_utf8);
            return 0;
        }
    }
    return size;
}

/** Turns the raw text an adapter appended at `[start, w.position())` into the inside of a
    JSON string, by the rules of `write_string`. Text that needs nothing (a UUID, a decimal)
    is only scanned. Otherwise the escaped form is written after the raw text, then moved
    down over it: the buffer grows at most by that much, and nothing is allocated besides. */
inline void finish_adapted_string(writer& w, std::size_t start) {
    const std::size_t end = w.position();
    std::size_t clean = start; // the prefix that is JSON already
    while (clean != end) {
        const char* const p = w.data() + clean;
        const auto c = static_cast<unsigned char>(*p);
        const std::size_t n = c >= 0x80         ? high_sequence_length(w, p, w.data() + end)
                              : needs_escape(c) ? 0
                                                : 1;
        if (n == 0)
            break;
        clean += n;
    }
    if (clean == end)
        return;
    const std::size_t size = string_content_size(w, w.data() + clean, w.data() + end);
    if (size == 0)
        return;                            // invalid UTF-8, rejected: the document is discarded
    char* const escaped = w.reserve(size); // may move the buffer: offsets from here on
    const char* p = w.data() + clean;
    const char* const raw_end = w.data() + end;
    char* out = escaped;
    while (p != raw_end) {
        const auto c = static_cast<unsigned char>(*p);
        if (c < 0x80) {
            if (needs_escape(c))
                out += write_escape(out, c);
            else
                *out++ = static_cast<char>(c);
            ++p;
        } else if (const std::size_t n = high_sequence_length(w, p, raw_end)) {
            std::memcpy(out, p, n);
            out += n;
            p += n;
        } else {
            std::memcpy(out, replacement_character, 3);
            out += 3;
            ++p;
        }
    }
    char* const target = w.data() + clean;
    std::memmove(target, escaped, size);
    w.commit(target + size);
}

/// Writes `v` as its `adapter<T>` says; `T` is adapted.
template <class T>
void write_adapted(writer& w, const T& v) {
    constexpr adapter_form form = adapter_form_of<T>();
    if constexpr (form == adapter_form::string) {
        w.put('"');
        const std::size_t start = w.position();
        text_sink sink = sink_access::make(w);
        adapter<T>::write_string(v, sink);
        finish_adapted_string(w, start);
        w.put('"');
    } else if constexpr (form == adapter_form::number) {
        const std::size_t start = w.position();
        text_sink sink = sink_access::make(w);
        adapter<T>::write_number(v, sink);
        const std::size_t end = w.position();
        if (!is_json_number(std::string_view(w.data() + start, end - start)))
            w.fail(error::invalid_number); // the text stays; the document is discarded
    } else {
        write_value(w, adapter<T>::convert(v));
    }
}

/// `[e1,e2,...]` for any range.
template <class R>
void write_array(writer& w, const R& range) {
    w.put('[');
    bool first = true;
    for (const element_t<R>& element : range) {
        if (!first)
            w.put(',');
        first = false;
        write_value(w, element);
    }
    w.put(']');
}

/// `{"k1":v1,...}` for any range of key/value pairs.
template <class R>
void write_map(writer& w, const R& range) {
    w.put('{');
    bool first = true;
    for (const auto& [key, mapped] : range) {
        if (!first)
            w.put(',');
        first = false;
        write_key(w, key);
        w.put(':');
        write_value(w, mapped);
    }
    w.put('}');
}

inline void write_json_value(writer& w, const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null:
        write_null(w);
        break;
    case boost::json::kind::bool_:
        write_value(w, v.get_bool());
        break;
    case boost::json::kind::int64:
        write_integer(w, v.get_int64());
        break;
    case boost::json::kind::uint64:
        write_integer(w, v.get_uint64());
        break;
    case boost::json::kind::double_:
        write_floating(w, v.get_double());
        break;
    case boost::json::kind::string:
        write_string(w, v.get_string());
        break;
    case boost::json::kind::array:
        write_array(w, v.get_array());
        break;
    case boost::json::kind::object:
        write_map(w, v.get_object());
        break;
    }
}

template <class K>
void write_key(writer& w, const K& key) {
    if constexpr (kind_of<K> == kind::integer) {
        w.put('"');
        write_integer(w, key);
        w.put('"');
    } else if constexpr (kind_of<K> == kind::adapted &&
                         adapter_form_of<K>() == adapter_form::number) {
        w.put('"');
        write_adapted(w, key);
        w.put('"');
    } else if constexpr (kind_of<K> == kind::adapted &&
                         adapter_form_of<K>() == adapter_form::convert) {
        write_key(w, adapter<K>::convert(key));
    } else if constexpr (is_key_type<K>) {
        write_value(w, key); // strings, characters and enum names are already quoted
    } else {
        (void)unsupported_map_key<K>{};
    }
}

template <class T>
void write_object(writer& w, const T& v) {
    static_assert(check_wire_names<T>());
    using members = members_of<T>;
    constexpr std::size_t count = boost::mp11::mp_size<members>::value;
    if constexpr (count == 0) {
        w.append("{}", 2);
    } else {
        // Keys are stored as `,"name":`; the first one written turns its comma into `{`.
        // Only optional members can be left out; without them the first key is known here.
        constexpr bool may_omit =
            boost::mp11::mp_any_of_q<members,
                                     boost::mp11::mp_compose<member_t, is_optional>>::value;
        [[maybe_unused]] bool first = true;
        boost::mp11::mp_for_each<boost::mp11::mp_iota_c<count>>([&](auto index) {
            using D = boost::mp11::mp_at_c<members, decltype(index)::value>;
            const auto& m = v.*D::pointer;
            if constexpr (is_optional<member_t<D>>::value) {
                if (!m.has_value() && w.options().empty_optional == empty_optional_policy::omit)
                    return;
            }
            char* key = w.append(member_key<T, D>::bytes);
            if constexpr (may_omit) {
                if (first)
                    *key = '{';
                first = false;
            } else if constexpr (decltype(index)::value == 0) {
                *key = '{';
            }
            write_value(w, m);
        });
        if constexpr (may_omit) {
            if (first) { // every member was left out
                w.append("{}", 2);
                return;
            }
        }
        w.put('}');
    }
}

template <class T>
void write_value(writer& w, const T& v) {
    constexpr kind k = kind_of<T>;
    if constexpr (k == kind::adapted) {
        write_adapted(w, v);
    } else if constexpr (k == kind::null) {
        write_null(w);
    } else if constexpr (k == kind::boolean) {
        if (v)
            w.append("true", 4);
        else
            w.append("false", 5);
    } else if constexpr (k == kind::character) {
        write_string(w, std::string_view(&v, 1));
    } else if constexpr (k == kind::integer) {
        write_integer(w, v);
    } else if constexpr (k == kind::floating) {
        write_floating(w, v);
    } else if constexpr (k == kind::enumeration) {
        write_enum(w, v);
    } else if constexpr (k == kind::time_point) {
        write_time(w, v);
    } else if constexpr (k == kind::optional) {
        if (v.has_value())
            write_value(w, *v);
        else
            write_null(w);
    } else if constexpr (k == kind::variant) {
        if (v.valueless_by_exception()) {
            fail_with_null(w, error::valueless_variant);
        } else {
            std::visit([&](const auto& alternative) { write_value(w, alternative); }, v);
        }
    } else if constexpr (k == kind::json_value) {
        if constexpr (std::is_same_v<T, boost::json::value>)
            write_json_value(w, v);
        else if constexpr (std::is_same_v<T, boost::json::object>)
            write_map(w, v);
        else if constexpr (std::is_same_v<T, boost::json::array>)
            write_array(w, v);
        else
            write_string(w, v);
    } else if constexpr (k == kind::object) {
        write_object(w, v);
    } else if constexpr (k == kind::c_string) {
        if (v == nullptr)
            write_null(w);
        else
            write_string(w, std::string_view(v));
    } else if constexpr (k == kind::char_array) {
        const std::size_t n = std::extent_v<T>;
        write_string(w,
                     std::string_view(v, static_cast<std::size_t>(std::find(v, v + n, '\0') - v)));
    } else if constexpr (k == kind::string) {
        write_string(w, std::string_view(v));
    } else if constexpr (k == kind::map) {
        write_map(w, v);
    } else if constexpr (k == kind::sequence) {
        write_array(w, v);
    } else {
        (void)unsupported_type<T>{};
    }
}

/** Writes prefix, payload and suffix as one document; the whole is undone on error. Every
    entry point comes here, so a type that cannot be written gets its one compile error from
    `require_serializable` and nothing else is instantiated for it. */
template <class T>
boost::system::error_code write_document(std::string& out, const T& value, std::string_view prefix,
                                         std::string_view suffix, const write_options& options) {
    if constexpr (!require_serializable<T>()) {
        return {};
    } else {
        writer w(out, options);
        if (!prefix.empty()) // an empty view may hold a null pointer, which memcpy must not get
            w.append(prefix.data(), prefix.size());
        write_value(w, value);
        if (!suffix.empty())
            w.append(suffix.data(), suffix.size());
        return w.finish();
    }
}

/// The bytes of a compile-time data location, computed by the compiler.
template <path_literal Path>
struct static_path {
    static constexpr webhook::detail::path_scan scan = webhook::detail::scan_data_path(Path.view());
    static constexpr std::string_view body = Path.view().substr(scan.first, scan.last - scan.first);
    static constexpr std::size_t prefix_size = webhook::detail::path_prefix_size(body);
    static constexpr std::size_t depth = webhook::detail::path_depth(body);
    static constexpr std::array<char, prefix_size + depth> bytes = [] {
        std::array<char, prefix_size + depth> a{};
        char* p = webhook::detail::write_path_prefix(a.data(), body);
        for (std::size_t i = 0; i < depth; ++i)
            *p++ = '}';
        return a;
    }();
    static constexpr std::string_view prefix{bytes.data(), prefix_size};
    static constexpr std::string_view suffix{bytes.data() + prefix_size, depth};
};

/// What `to_string` reserves: most events fit, so most calls allocate once.
inline constexpr std::size_t initial_capacity = 512;

[[noreturn]] inline void throw_write_error(boost::system::error_code ec,
                                           const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(ec, "webhook::json::to_string"), loc);
}

} // namespace webhook::json::detail

namespace webhook::json {

template <class T>
void write(std::string& out, const T& value, const data_path& path, const write_options& options,
           boost::system::error_code& ec) {
    ec = detail::write_document(out, value, path.prefix(), path.suffix(), options);
}

template <class T>
void write(std::string& out, const T& value, const data_path& path, boost::system::error_code& ec) {
    write(out, value, path, write_options{}, ec);
}

template <class T>
void write(std::string& out, const T& value, boost::system::error_code& ec) {
    ec = detail::write_document(out, value, {}, {}, write_options{});
}

template <class T>
std::string to_string(const T& value, const data_path& path, const write_options& options) {
    std::string out;
    out.reserve(detail::initial_capacity);
    if (auto ec = detail::write_document(out, value, path.prefix(), path.suffix(), options))
        detail::throw_write_error(ec, BOOST_CURRENT_LOCATION);
    return out;
}

template <class T>
std::string to_string(const T& value, const write_options& options) {
    return to_string(value, data_path{}, options);
}

template <path_literal Path, class T>
void write(std::string& out, const T& value, const write_options& options,
           boost::system::error_code& ec) {
    using path = detail::static_path<Path>;
    ec = detail::write_document(out, value, path::prefix, path::suffix, options);
}

template <path_literal Path, class T>
void write(std::string& out, const T& value, boost::system::error_code& ec) {
    write<Path>(out, value, write_options{}, ec);
}

template <path_literal Path, class T>
std::string to_string(const T& value, const write_options& options) {
    using path = detail::static_path<Path>;
    std::string out;
    out.reserve(detail::initial_capacity);
    if (auto ec = detail::write_document(out, value, path::prefix, path::suffix, options))
        detail::throw_write_error(ec, BOOST_CURRENT_LOCATION);
    return out;
}

} // namespace webhook::json

#endif
