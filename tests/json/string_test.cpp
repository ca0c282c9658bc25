#include <webhook/json/detail/string.hpp>

#define BOOST_TEST_MODULE json_string
#include <boost/test/unit_test.hpp>

#include <webhook/json/detail/number.hpp>
#include <webhook/json/serialize.hpp>

#include <boost/describe.hpp>

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// The string writer as the serializer calls it (with its short-ASCII path) and the block-wise
// writers behind it (every block width the target has, validating or not, and the
// SSSE3 and AVX2 validating writers where the processor runs them) and the
// integer and decimal fast paths, against plain byte-at-a-time and std::to_chars references.
// Strings of every length around the block widths, with the byte of interest at every
// position, so that each block, the tail and the block boundaries are all exercised.

namespace detail = webhook::json::detail;
namespace json = webhook::json;

namespace {

/// The reference: one byte at a time, by RFC 8259 and the policies' rules.
std::string reference(std::string_view s, json::utf8_policy policy, bool& ok) {
    std::string r = "\"";
    ok = true;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80 && policy != json::utf8_policy::assume_valid) {
            const std::size_t n =
                webhook::detail::utf8_sequence_length(s.data() + i, s.data() + s.size());
            if (n == 0) {
                if (policy == json::utf8_policy::reject) {
                    ok = false;
                    return {};
                }
                r += "\xEF\xBF\xBD";
                ++i;
            } else {
                r.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        static constexpr char hex[] = "0123456789abcdef";
        switch (c) {
        case '"':
            r += "\\\"";
            break;
        case '\\':
            r += "\\\\";
            break;
        case '\b':
            r += "\\b";
            break;
        case '\f':
            r += "\\f";
            break;
        case '\n':
            r += "\\n";
            break;
        case '\r':
            r += "\\r";
            break;
        case '\t':
            r += "\\t";
            break;
        default:
            if (c < 0x20) {
                r += "\\u00";
                r += hex[c >> 4];
                r += hex[c & 0xF];
            } else {
                r += static_cast<char>(c);
            }
        }
        ++i;
    }
    return r + "\"";
}

template <class Blocks, bool Validate>
std::string write_with(std::string_view s, const json::write_options& options,
                       boost::system::error_code& ec) {
    std::string out = "<";
    detail::writer w(out, options);
    detail::write_string_with<Blocks, Validate>(w, s);
    ec = w.finish();
    return out.substr(1);
}

/// `write_string`, the writer the serializer calls: its short-string path, then its choice.
std::string write_chosen(std::string_view s, const json::write_options& options,
                         boost::system::error_code& ec) {
    std::string out = "<";
    detail::writer w(out, options);
    detail::write_string(w, s);
    ec = w.finish();
    return out.substr(1);
}

#ifdef WEBHOOK_HAS_SSSE3_UTF8
std::string write_ssse3(std::string_view s, const json::write_options& options,
                        boost::system::error_code& ec) {
    std::string out = "<";
    detail::writer w(out, options);
    detail::write_string_ssse3(w, s);
    ec = w.finish();
    return out.substr(1);
}

std::string write_avx2(std::string_view s, const json::write_options& options,
                       boost::system::error_code& ec) {
    std::string out = "<";
    detail::writer w(out, options);
    detail::write_string_avx2(w, s);
    ec = w.finish();
    return out.substr(1);
}
#endif

/// Checks `s` against the reference on every path and policy; returns the failures.
int check_all_paths(const std::string& s) {
    int failures = 0;
    const auto check = [&](auto write, json::utf8_policy policy, const char* path) {
        bool ok = false;
        const std::string expected = reference(s, policy, ok);
        boost::system::error_code ec;
        const std::string got = write(s, json::write_options{.invalid_utf8 = policy}, ec);
        const bool pass =
            ok ? (!ec && got == expected) : (ec == webhook::error::invalid_utf8 && got.empty());
        if (!pass && ++failures <= 3) {
            std::string hex;
            for (const char ch : s) {
                char b[4];
                std::snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(ch));
                hex += b;
            }
            BOOST_ERROR(path << " policy " << static_cast<int>(policy) << " size " << s.size()
                             << " input " << hex << " got " << got << " expected " << expected);
        }
    };
    for (const auto policy : {json::utf8_policy::reject, json::utf8_policy::replace}) {
        check(write_chosen, policy, "chosen");
        check(write_with<detail::swar_blocks, true>, policy, "swar");
#ifdef WEBHOOK_JSON_HAS_SSE2
        check(write_with<detail::sse2_blocks, true>, policy, "sse2");
#endif
#ifdef WEBHOOK_HAS_SSSE3_UTF8
        if (webhook::detail::cpu_has_ssse3())
            check(write_ssse3, policy, "ssse3");
        if (webhook::detail::cpu_has_avx2())
            check(write_avx2, policy, "avx2");
#endif
    }
    const auto trusted = json::utf8_policy::assume_valid;
    check(write_chosen, trusted, "chosen unchecked");
    check(write_with<detail::swar_blocks, false>, trusted, "swar unchecked");
#ifdef WEBHOOK_JSON_HAS_SSE2
    check(write_with<detail::sse2_blocks, false>, trusted, "sse2 unchecked");
#endif
    return failures;
}

constexpr std::size_t max_length = 72; // past two 32-byte blocks and a 16-byte one

/// Every length 0..max_length of ASCII text, with `insert` placed at every position.
int check_everywhere(std::string_view insert) {
    int failures = 0;
    for (std::size_t length = insert.size(); length <= max_length; ++length)
        for (std::size_t at = 0; at + insert.size() <= length; ++at) {
            std::string s;
            for (std::size_t i = 0; i < length; ++i)
                s += static_cast<char>('a' + i % 26);
            s.replace(at, insert.size(), insert);
            failures += check_all_paths(s);
        }
    return failures;
}

} // namespace

BOOST_AUTO_TEST_CASE(plain_ascii_of_every_length) {
    int failures = 0;
    for (std::size_t length = 0; length <= max_length; ++length)
        failures += check_all_paths(std::string(length, 'x'));
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(each_escape_at_each_position) {
    for (const char* insert : {"\"", "\\", "\n", "\t", "\x01", "\x1f", "\b\f\r", "\"\"\\"})
        BOOST_TEST(check_everywhere(insert) == 0, "insert " << static_cast<int>(insert[0]));
    BOOST_TEST(check_everywhere(std::string_view("\0", 1)) == 0);
}

BOOST_AUTO_TEST_CASE(valid_utf8_at_each_position_and_across_block_ends) {
    for (const char* insert : {"\xC3\xA9", "\xE6\x97\xA5", "\xF0\x9F\x99\x82", "\xC2\x80",
                               "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                               "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xC3\xA9\xE6\x97\xA5\"",
                               "\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5"
                               "\xE6\x97\xA5\xF0\x9F\x99\x82\xC3\xA9"})
        BOOST_TEST(check_everywhere(insert) == 0);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_at_each_position) {
    // Lone continuation, bytes never in UTF-8, overlong forms, surrogates, above U+10FFFF,
    // and sequences cut short by ASCII.
    for (const char* insert :
         {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xF5\x80\x80\x80", "\xFF", "\xE0\x9F\xBF",
          "\xED\xA0\x80", "\xED\xBF\xBF", "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xC3",
          "\xE6\x97", "\xF0\x9F\x99", "\xC3\xA9\x80", "\xE6\x97\xA5\xE6\x97"})
        BOOST_TEST(check_everywhere(insert) == 0);
}

BOOST_AUTO_TEST_CASE(truncated_sequences_at_the_end_of_every_length) {
    int failures = 0;
    for (const char* last : {"\xC3", "\xE6\x97", "\xF0\x9F\x99", "\xE6"})
        for (std::size_t length = 0; length <= max_length; ++length)
            failures += check_all_paths(std::string(length, 'y') + last);
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(random_mixtures) {
    std::mt19937_64 rng(19);
    const std::vector<std::string> pieces = {"a",
                                             "bc",
                                             "plain text ",
                                             "\"",
                                             "\\",
                                             "\n",
                                             "\x02",
                                             "\xC3\xA9",
                                             "\xE6\x97\xA5",
                                             "\xF0\x9F\x99\x82",
                                             "\x80",
                                             "\xED\xA0\x80",
                                             "\xC3",
                                             "0123456789abcdef"};
    int failures = 0;
    for (int round = 0; round < 4000; ++round) {
        std::string s;
        const auto count = rng() % 24;
        for (std::uint64_t i = 0; i < count; ++i)
            s += pieces[rng() % pieces.size()];
        failures += check_all_paths(s);
    }
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(assume_valid_copies_high_bytes_unchecked) {
    const json::write_options trusted{.invalid_utf8 = json::utf8_policy::assume_valid};
    BOOST_TEST(json::to_string(std::string("caf\xC3\xA9 \"x\""), trusted) ==
               "\"caf\xC3\xA9 \\\"x\\\"\"");
    // Not checked: invalid bytes go through as they are (the caller's guarantee was wrong).
    BOOST_TEST(json::to_string(std::string("a\xFF"), trusted) == "\"a\xFF\"");
    BOOST_TEST(json::to_string(std::vector<std::string>{"\xE6\x97\xA5", "\x80"}, trusted) ==
               "[\"\xE6\x97\xA5\",\"\x80\"]");
}

namespace {

template <class T>
std::string via_to_chars(T v) {
    char b[64];
    return std::string(b, std::to_chars(b, b + sizeof b, v).ptr);
}

template <class T>
std::string via_write_int(T v) {
    char b[detail::max_integer_size];
    return std::string(b, detail::write_int(b, v));
}

template <class T>
int check_integers(std::mt19937_64& rng) {
    int failures = 0;
    const auto check = [&](T v) {
        if (via_write_int(v) != via_to_chars(v) && ++failures <= 3)
            BOOST_ERROR("write_int " << via_to_chars(v) << " wrote " << via_write_int(v));
    };
    check(std::numeric_limits<T>::min());
    check(std::numeric_limits<T>::max());
    for (std::uint64_t p = 1; p <= std::numeric_limits<T>::max() / 10; p *= 10)
        for (const std::uint64_t q : {p, p * 10 - 1, p * 10, p * 10 + 1}) {
            check(static_cast<T>(q));
            if constexpr (std::is_signed_v<T>)
                check(static_cast<T>(-static_cast<T>(q)));
        }
    for (int i = 0; i < 20000; ++i) {
        const auto bits = rng() >> (rng() % 64); // every magnitude
        check(static_cast<T>(bits));
    }
    return failures;
}

} // namespace

BOOST_AUTO_TEST_CASE(integers_match_to_chars) {
    std::mt19937_64 rng(7);
    BOOST_TEST(check_integers<std::int64_t>(rng) == 0);
    BOOST_TEST(check_integers<std::uint64_t>(rng) == 0);
    BOOST_TEST(check_integers<std::int32_t>(rng) == 0);
    BOOST_TEST(check_integers<std::uint32_t>(rng) == 0);
    BOOST_TEST(check_integers<std::int16_t>(rng) == 0);
    BOOST_TEST(check_integers<std::uint8_t>(rng) == 0);
}

namespace {

/// The reference for doubles: shortest digits from std::to_chars, laid out by format_decimal.
std::string shortest_reference(double v) {
    const bool negative = v < 0;
    const double magnitude = negative ? -v : v;
    if (magnitude == 0)
        return "0";
    char text[64];
    const char* end =
        std::to_chars(text, text + sizeof text, magnitude, std::chars_format::scientific).ptr;
    char digits[32];
    int k = 0;
    const char* p = text;
    for (; *p != 'e'; ++p)
        if (*p != '.')
            digits[k++] = *p;
    int exponent = 0;
    std::from_chars(p + 1 + (p[1] == '+'), end, exponent);
    while (k > 1 && digits[k - 1] == '0')
        --k;
    char out[detail::max_number_size];
    return std::string(out, detail::format_decimal(out, negative, digits, k, exponent + 1));
}

} // namespace

BOOST_AUTO_TEST_CASE(decimals_match_the_shortest_digits) {
    std::mt19937_64 rng(11);
    int failures = 0;
    const auto check = [&](double v) {
        char out[detail::max_number_size];
        const std::string got(out, detail::write_shortest(out, v));
        if (got != shortest_reference(v) && ++failures <= 5)
            BOOST_ERROR("write_shortest(" << shortest_reference(v) << ") wrote " << got);
    };
    for (int i = 0; i < 200000; ++i) {
        const int k = static_cast<int>(rng() % 17);
        const auto m = static_cast<std::int64_t>(rng() >> (rng() % 64));
        double v = static_cast<double>(m);
        for (int j = 0; j < k; ++j)
            v /= 10; // values with few decimals: the fast path
        check(rng() % 2 ? v : -v);
        check(std::bit_cast<double>(rng() & 0x7FEFFFFFFFFFFFFFULL)); // any finite value
    }
    for (const double v : {7.25, 0.1, 1e-7, 1.5e-6, 123456.789, 4503599627370495.5, 0.000001,
                           0.0000001, 9007199254740991.0, 1e15, 1e16, 0.3, 2.5e-5, 12.5})
        check(v);
    BOOST_TEST(failures == 0);
}
