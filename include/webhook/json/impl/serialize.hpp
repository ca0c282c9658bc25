#ifndef WEBHOOK_JSON_IMPL_SERIALIZE_HPP
#define WEBHOOK_JSON_IMPL_SERIALIZE_HPP

#include <webhook/json/detail/members.hpp>
#include <webhook/json/detail/number.hpp>
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

namespace webhook::json::detail {

template <class T>
inline constexpr bool dependent_false = false;

/// Instantiated for a type the serializer cannot write; the type is named in the error.
template <class T>
struct unsupported_type {
    static_assert(dependent_false<T>,
                  "webhook::json: this type cannot be serialized (see the type named in "
                  "'unsupported_type<...>' above). Describe it with BOOST_DESCRIBE_STRUCT, "
                  "BOOST_DESCRIBE_CLASS or BOOST_DESCRIBE_ENUM, or use a supported type.");
};

template <class T>
void write_value(writer& w, const T& v);

inline void write_null(writer& w) { w.append("null", 4); }

/// Records `e` and writes `null` in place of the value, so that writing goes on.
inline void fail_with_null(writer& w, error e) {
    w.fail(e);
    write_null(w);
}

// Word-at-a-time scan: a byte needs attention if it is below 0x20, a quote, a backslash, or
// not ASCII. Borrows can flag bytes above a flagged one, never below, so the lowest flag is
// exact.
constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t highs = 0x8080808080808080ULL;

/// Eight bytes as a number whose least significant byte is the first in memory, so that the
/// borrow-based tests below flag the earliest bytes correctly on any byte order.
inline std::uint64_t load_word(const char* p) noexcept {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    if constexpr (std::endian::native == std::endian::big)
        x = __builtin_bswap64(x);
    return x;
}

/// Index of the first byte whose high bit is set in `m` (`m` != 0, from `load_word`).
inline std::size_t first_flagged_byte(std::uint64_t m) noexcept {
    return static_cast<std::size_t>(std::countr_zero(m)) / 8;
}

inline std::uint64_t attention_mask(std::uint64_t x) noexcept {
    const std::uint64_t quote = x ^ (ones * '"');
    const std::uint64_t backslash = x ^ (ones * '\\');
    const std::uint64_t control = (x - ones * 0x20) & ~x;
    const std::uint64_t is_quote = (quote - ones) & ~quote;
    const std::uint64_t is_backslash = (backslash - ones) & ~backslash;
    return (control | is_quote | is_backslash | x) & highs;
}

inline constexpr char replacement_character[] = "\xEF\xBF\xBD"; // U+FFFD

/** Writes `s` as a quoted JSON string: escapes, UTF-8 validation, and the policy for
    invalid bytes. Room is reserved for the unescaped size plus slack; escapes reserve more
    only when they occur, which is rare. */
inline void write_string(writer& w, std::string_view s) {
    constexpr std::size_t slack = 8; // the word loop stores 8 bytes at a time
    const char* in = s.data();
    const char* const end = in + s.size();
    char* out = w.reserve(s.size() + 2 + slack);
    *out++ = '"';
    for (;;) {
        while (end - in >= 8) {
            std::memcpy(out, in, 8);
            const std::uint64_t m = attention_mask(load_word(in));
            if (m != 0) {
                const std::size_t clean = first_flagged_byte(m);
                in += clean;
                out += clean;
                goto attention;
            }
            in += 8;
            out += 8;
        }
        if (in != end) {
            // The last 1 to 7 bytes: one word padded with spaces, which need no attention.
            const auto rest = static_cast<std::size_t>(end - in);
            char word[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
            std::memcpy(word, in, rest);
            std::memcpy(out, word, 8);
            const std::uint64_t m = attention_mask(load_word(word));
            const std::size_t clean = m == 0 ? rest : first_flagged_byte(m);
            in += clean;
            out += clean;
        }
        if (in == end)
            break;
    attention:
        const auto c = static_cast<unsigned char>(*in);
        const auto remaining = static_cast<std::size_t>(end - in);
        if (c < 0x80) {
            w.commit(out);
            out = w.reserve(remaining + 6 + 1 + slack);
            out += write_escape(out, c);
            ++in;
        } else if (const std::size_t n = utf8_sequence_length(in, end)) {
            std::memcpy(out, in, n); // room: n <= remaining
            out += n;
            in += n;
        } else if (w.options().invalid_utf8 == utf8_policy::replace) {
            w.commit(out);
            out = w.reserve(remaining + 3 + 1 + slack);
            std::memcpy(out, replacement_character, 3);
            out += 3;
            ++in;
        } else {
            w.fail(error::invalid_utf8);
            break;
        }
    }
    *out++ = '"';
    w.commit(out);
}

template <class T>
void write_integer(writer& w, T v) {
    char* p = w.reserve(24);
    w.commit(std::to_chars(p, p + 24, v).ptr);
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

/// Instantiated for a map key type that cannot be a JSON member name; the type is named.
template <class K>
struct unsupported_map_key {
    static_assert(dependent_false<K>,
                  "webhook::json: map keys must be strings, characters, described enums or "
                  "integers (see the type named in 'unsupported_map_key<...>' above).");
};

template <class K>
void write_key(writer& w, const K& key) {
    if constexpr (kind_of<K> == kind::integer) {
        w.put('"');
        write_integer(w, key);
        w.put('"');
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
        constexpr bool may_omit = boost::mp11::mp_any_of_q<
            members, boost::mp11::mp_compose<member_t, is_optional>>::value;
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
    if constexpr (k == kind::null) {
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
        write_string(w, std::string_view(v, static_cast<std::size_t>(
                                                std::find(v, v + n, '\0') - v)));
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

/// Writes prefix, payload and suffix as one document; the whole is undone on error.
template <class T>
boost::system::error_code write_document(std::string& out, const T& value,
                                         std::string_view prefix, std::string_view suffix,
                                         const write_options& options) {
    writer w(out, options);
    if (!prefix.empty()) // an empty view may hold a null pointer, which memcpy must not get
        w.append(prefix.data(), prefix.size());
    write_value(w, value);
    if (!suffix.empty())
        w.append(suffix.data(), suffix.size());
    return w.finish();
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
void write(std::string& out, const T& value, const data_path& path,
           boost::system::error_code& ec) {
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
