#include <webhook/dispatch/detail/gzip.hpp>

#define BOOST_TEST_MODULE detail_gzip
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

using webhook::detail::gzip_compressor;

namespace {

/// What zlib's inflate made of some bytes: `valid` only for exactly one complete gzip member.
struct inflated {
    bool valid = false;
    std::string bytes;
    friend bool operator==(const inflated&, const inflated&) = default;
    // Size and CRC-32 only: the bytes may be a mebibyte.
    friend std::ostream& operator<<(std::ostream& os, const inflated& a) {
        if (!a.valid)
            return os << "<not one valid gzip member>";
        const auto crc = crc32(0, reinterpret_cast<const Bytef*>(a.bytes.data()),
                               static_cast<uInt>(a.bytes.size()));
        return os << a.bytes.size() << " bytes, CRC-32 " << std::hex << crc << std::dec;
    }
};

/// What `gunzip` must give back.
inflated expect(std::string_view bytes) {
    return {true, std::string(bytes)};
}

/// Inflates with zlib (windowBits 31: gzip only).
inflated gunzip(std::string_view in) {
    z_stream z{};
    if (inflateInit2(&z, 31) != Z_OK)
        return {};
    inflated r;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    char buf[16384];
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        r.bytes.append(buf, sizeof buf - z.avail_out);
    }
    r.valid = rc == Z_STREAM_END && z.avail_in == 0; // and nothing after the member
    inflateEnd(&z);
    return r;
}

/// Deterministic bytes that compress poorly (xorshift), or well (`period` > 0: repeating).
std::string sample(std::size_t size, std::size_t period = 0) {
    std::string s(size, '\0');
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (std::size_t i = 0; i < size; ++i) {
        if (period != 0 && i >= period) {
            s[i] = s[i - period];
            continue;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s[i] = static_cast<char>(x);
    }
    return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(output_is_one_gzip_member_that_inflates_to_the_input) {
    gzip_compressor gz;
    const std::string in = R"({"root":{"result":{"id":"INC001","priority":2,"state":"new"}}})";
    std::string out;
    BOOST_TEST(!gz.compress(in, out));
    BOOST_TEST(gunzip(out) == expect(in));
}

BOOST_AUTO_TEST_CASE(header_is_rfc_1952_with_no_name_and_no_time) {
    gzip_compressor gz;
    std::string out;
    BOOST_TEST(!gz.compress("hello", out));
    BOOST_REQUIRE(out.size() >= 18u);                        // 10-byte header, 8-byte trailer
    BOOST_TEST(static_cast<unsigned char>(out[0]) == 0x1fu); // ID1
    BOOST_TEST(static_cast<unsigned char>(out[1]) == 0x8bu); // ID2
    BOOST_TEST(static_cast<unsigned char>(out[2]) == 8u);    // CM: deflate
    BOOST_TEST(static_cast<unsigned char>(out[3]) == 0u);    // FLG: no name, comment, extra
    BOOST_TEST(out.substr(4, 4) == std::string(4, '\0'));    // MTIME: none
    // The trailer: CRC-32 and the input size, both little-endian.
    const auto le32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i)
            v |= std::uint32_t{static_cast<unsigned char>(out[at + i])} << (8 * i);
        return v;
    };
    BOOST_TEST(le32(out.size() - 8) == 0x3610a686u); // CRC-32 of "hello"
    BOOST_TEST(le32(out.size() - 4) == 5u);
}

BOOST_AUTO_TEST_CASE(empty_input_gives_a_valid_empty_member) {
    gzip_compressor gz;
    std::string out = "previous content";
    BOOST_TEST(!gz.compress({}, out));
    BOOST_TEST(out.size() == 20u); // header, an empty final block (2 bytes), trailer
    BOOST_TEST(gunzip(out) == expect(""));
}

BOOST_AUTO_TEST_CASE(one_mebibyte_round_trips_byte_exact) {
    gzip_compressor gz;
    std::string out;
    const std::string random = sample(1 << 20);
    BOOST_TEST(!gz.compress(random, out));
    BOOST_TEST(gunzip(out) == expect(random));

    const std::string repetitive = sample(1 << 20, 1000);
    BOOST_TEST(!gz.compress(repetitive, out));
    BOOST_TEST(gunzip(out) == expect(repetitive));
}

BOOST_AUTO_TEST_CASE(every_byte_value_round_trips) {
    std::string in;
    for (int round = 0; round < 3; ++round)
        for (int b = 0; b < 256; ++b)
            in += static_cast<char>(b);
    gzip_compressor gz;
    std::string out;
    BOOST_TEST(!gz.compress(in, out));
    BOOST_TEST(gunzip(out) == expect(in));
}

BOOST_AUTO_TEST_CASE(output_replaces_the_previous_content) {
    gzip_compressor gz;
    std::string out(100'000, 'x');
    BOOST_TEST(!gz.compress("abc", out));
    BOOST_TEST(gunzip(out) == expect("abc"));
}

BOOST_AUTO_TEST_CASE(reused_compressor_gives_the_same_bytes_as_a_fresh_one) {
    gzip_compressor reused;
    std::string out;
    BOOST_TEST(!reused.compress(sample(70'000), out)); // leaves window and state behind
    BOOST_TEST(!reused.compress(sample(1000, 10), out));
    std::string fresh_out;
    BOOST_TEST(!gzip_compressor().compress(sample(1000, 10), fresh_out));
    BOOST_TEST(out == fresh_out);
}

BOOST_AUTO_TEST_CASE(warmed_compressor_does_not_reallocate_output_with_capacity) {
    gzip_compressor gz;
    std::string out;
    const std::string body = sample(4096, 64);
    BOOST_TEST(!gz.compress(body, out));
    out.reserve(64 * 1024);
    const char* const data = out.data();
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST(!gz.compress(body, out));
        BOOST_TEST(static_cast<const void*>(out.data()) == static_cast<const void*>(data));
    }
    BOOST_TEST(gunzip(out) == expect(body));
}

BOOST_AUTO_TEST_CASE(every_level_round_trips) {
    const std::string body = sample(50'000, 300);
    for (int level = -1; level <= 9; ++level) {
        gzip_compressor gz(level);
        std::string out;
        BOOST_TEST(!gz.compress(body, out), "level " << level);
        BOOST_TEST(gunzip(out) == expect(body), "level " << level);
    }
}

BOOST_AUTO_TEST_CASE(default_level_is_zlib_level_6_byte_for_byte) {
    const std::string body = sample(1 << 20, 1000);
    // The reference: zlib's deflate at level 6 in one call, as its documentation shows.
    z_stream z{};
    BOOST_REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string reference(deflateBound(&z, body.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    z.avail_in = static_cast<uInt>(body.size());
    z.next_out = reinterpret_cast<Bytef*>(reference.data());
    z.avail_out = static_cast<uInt>(reference.size());
    BOOST_REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    reference.resize(z.total_out);
    deflateEnd(&z);

    std::string out;
    BOOST_TEST(!gzip_compressor().compress(body, out));
    BOOST_TEST(out.size() == reference.size());
    BOOST_TEST((out == reference)); // not printed: a mebibyte
}

BOOST_AUTO_TEST_CASE(level_zero_stores_the_input_verbatim) {
    const std::string body = sample(1000);
    std::string out;
    BOOST_TEST(!gzip_compressor(0).compress(body, out));
    // Header (10), one final stored block (RFC 1951: 1 header byte, LEN, NLEN), trailer (8).
    BOOST_REQUIRE(out.size() == 10u + 5u + body.size() + 8u);
    BOOST_TEST(static_cast<unsigned char>(out[10]) == 0x01u); // BFINAL, BTYPE 00
    BOOST_TEST(static_cast<unsigned char>(out[11]) == (1000u & 0xFF));
    BOOST_TEST(static_cast<unsigned char>(out[12]) == (1000u >> 8));
    BOOST_TEST(static_cast<unsigned char>(out[13]) == (~1000u & 0xFF));
    BOOST_TEST(static_cast<unsigned char>(out[14]) == (~1000u >> 8 & 0xFF));
    BOOST_TEST((out.substr(15, body.size()) == body));
}

BOOST_AUTO_TEST_CASE(invalid_level_is_reported_by_compress) {
    gzip_compressor gz(10);
    std::string out;
    BOOST_TEST(gz.compress("abc", out) == make_error_code(boost::system::errc::invalid_argument));
    BOOST_TEST(gzip_compressor(-2).compress("abc", out) ==
               make_error_code(boost::system::errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(moved_compressor_keeps_working) {
    gzip_compressor a;
    std::string out;
    BOOST_TEST(!a.compress("first", out));
    gzip_compressor b(std::move(a));
    BOOST_TEST(!b.compress("second", out));
    BOOST_TEST(gunzip(out) == expect("second"));
    gzip_compressor c;
    c = std::move(b);
    BOOST_TEST(!c.compress("third", out));
    BOOST_TEST(gunzip(out) == expect("third"));
}
