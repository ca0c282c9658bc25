#include <webhook/spool/detail/journal_codec.hpp>

#define BOOST_TEST_MODULE spool_journal_codec
#include <boost/test/unit_test.hpp>

#include <webhook/detail/crc32c.hpp>
#include <webhook/event_id.hpp>
#include <webhook/spool/detail/record_fields.hpp>
#include <webhook/spool/spool.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The file journal's format, tested as bytes: the expected bytes are built here from the layout
// documented in journal_codec.hpp, with this file's own little-endian writers and its own
// (bitwise) CRC-32C, so that an encoder and a decoder that agree with each other but not with
// the documentation fail.

namespace codec = webhook::detail::spool_file;
using webhook::spool_record;

namespace {

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one bit at a time.
std::uint32_t reference_crc(std::string_view bytes) {
    std::uint32_t crc = 0xFFFFFFFF;
    for (const char c : bytes) {
        crc ^= static_cast<unsigned char>(c);
        for (int i = 0; i < 8; ++i)
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
    }
    return ~crc;
}

void le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>(v >> (8 * i) & 0xFF);
}

void counted(std::string& out, std::string_view s) {
    le(out, s.size(), 4);
    out += s;
}

/// The fields of a record as the layout lists them.
struct fields {
    std::int64_t created_ms = 0;
    std::string id; // 26 characters, or empty for none (26 zero bytes)
    std::string endpoint, target, payload, headers;
    std::int32_t last_status = 0;
    std::string last_error;
    std::uint64_t sequence = 0;
};

/// A record of `version` as the documented layout says, independently of the library.
std::string layout(const fields& f, std::uint32_t version) {
    std::string body;
    le(body, static_cast<std::uint64_t>(f.created_ms), 8);
    body += f.id.empty() ? std::string(26, '\0') : f.id;
    counted(body, f.endpoint);
    counted(body, f.target);
    counted(body, f.payload);
    if (version >= 2)
        counted(body, f.headers);
    le(body, static_cast<std::uint32_t>(f.last_status), 4);
    counted(body, f.last_error);
    le(body, f.sequence, 8);
    std::string length;
    le(length, body.size(), 4);
    std::string out;
    le(out, 0x9E0D5CA7, 4);
    le(out, reference_crc(length + body), 4);
    return out + length + body;
}

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

constexpr std::string_view some_id = "01HF8X5JQ6ZB3KQW0V9R1A2B3C";

fields some_fields() {
    fields f;
    f.created_ms = 1'700'000'000'123;
    f.id = std::string(some_id);
    f.endpoint = "https://e.example/h";
    f.target = "/t";
    f.payload = R"({"a":1})";
    f.headers = "x-a: 1\r\n";
    f.last_status = 503;
    f.last_error = "boom";
    f.sequence = 42;
    return f;
}

spool_record record_of(const fields& f) {
    spool_record r;
    r.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(f.created_ms));
    if (!f.id.empty())
        r.id = webhook::event_id::parse(f.id).value();
    r.endpoint = f.endpoint;
    r.target = f.target;
    r.payload = f.payload;
    r.headers = f.headers;
    r.last_status = f.last_status;
    r.last_error = f.last_error;
    return r;
}

/// The library's record: encoded, then sealed with `sequence`.
std::string encoded(const spool_record& r, std::uint64_t sequence) {
    std::string rec;
    BOOST_REQUIRE(!codec::encode(r, rec));
    codec::seal(rec.data(), rec.size(), sequence, codec::partial_crc(rec));
    return rec;
}

} // namespace

BOOST_AUTO_TEST_CASE(reference_crc_is_crc32c) {
    // The check value of CRC-32C, and the library's CRC agrees.
    BOOST_TEST(reference_crc("123456789") == 0xE3069283u);
    BOOST_TEST(webhook::detail::crc32c(std::string_view("123456789")) == 0xE3069283u);
}

BOOST_AUTO_TEST_CASE(encoded_record_has_the_documented_bytes) {
    const fields f = some_fields();
    const std::string rec = encoded(record_of(f), f.sequence);
    // Written out by hand (and by a separate script) from the layout: magic, CRC, length 106,
    // created, id, endpoint, target, payload, headers, status 503, last_error, sequence 42.
    const std::string expected =
        from_hex("a75c0d9ed375c7a26a0000007b68e5cf8b010000303148463858354a51365a42"
                 "334b5157305639523141324233431300000068747470733a2f2f652e6578616d"
                 "706c652f68020000002f74070000007b2261223a317d08000000782d613a2031"
                 "0d0af701000004000000626f6f6d2a00000000000000");
    BOOST_TEST(rec.size() == 118u);
    BOOST_TEST(rec == expected);
    BOOST_TEST(rec == layout(f, 2));
    BOOST_TEST(codec::min_body_size(2) + f.endpoint.size() + f.target.size() + f.payload.size() +
                   f.headers.size() + f.last_error.size() ==
               106u);
}

BOOST_AUTO_TEST_CASE(encoded_record_without_id_or_strings) {
    fields f;
    f.created_ms = -5; // before 1970: kept as a signed count
    f.sequence = 0xFFFFFFFFFFFFFFFF;
    const std::string rec = encoded(record_of(f), f.sequence);
    BOOST_TEST(rec == layout(f, 2));
    BOOST_TEST(rec.size() == codec::record_header_size + codec::min_body_size(2));
}

BOOST_AUTO_TEST_CASE(created_is_kept_to_the_millisecond) {
    fields f = some_fields();
    spool_record r = record_of(f);
    r.created += std::chrono::microseconds(999); // rounded down
    BOOST_TEST(encoded(r, f.sequence) == layout(f, 2));
}

BOOST_AUTO_TEST_CASE(seal_completes_the_crc_of_the_sequence) {
    const fields f = some_fields();
    std::string rec;
    BOOST_REQUIRE(!codec::encode(record_of(f), rec));
    // Unsealed: sequence 0, CRC 0.
    BOOST_TEST(codec::get_u32(rec.data() + 4) == 0u);
    BOOST_TEST(codec::get_u64(rec.data() + rec.size() - 8) == 0u);
    const std::uint32_t partial = codec::partial_crc(rec);
    std::string a = rec, b = rec;
    codec::seal(a.data(), a.size(), 7, partial);
    codec::seal(b.data(), b.size(), 8, partial);
    fields f7 = f, f8 = f;
    f7.sequence = 7;
    f8.sequence = 8;
    BOOST_TEST(a == layout(f7, 2));
    BOOST_TEST(b == layout(f8, 2));
}

BOOST_AUTO_TEST_CASE(round_trip) {
    const fields f = some_fields();
    const spool_record r = record_of(f);
    const std::string rec = encoded(r, 42);
    codec::record_view v;
    BOOST_TEST(codec::parse(rec, 2, v) == rec.size());
    BOOST_TEST(v.sequence == 42u);
    BOOST_TEST(v.created_ms == f.created_ms);
    BOOST_TEST(v.id == some_id);
    BOOST_TEST(v.endpoint == f.endpoint);
    BOOST_TEST(v.target == f.target);
    BOOST_TEST(v.payload == f.payload);
    BOOST_TEST(v.headers == f.headers);
    BOOST_TEST(v.last_status == 503);
    BOOST_TEST(v.last_error == f.last_error);

    spool_record back;
    back.payload = "something longer that is replaced";
    webhook::detail::spool_fields::assign(v, back);
    spool_record want = r;
    want.sequence = 42;
    BOOST_TEST((back == want));
}

BOOST_AUTO_TEST_CASE(round_trip_without_id) {
    fields f;
    f.payload = "{}";
    const std::string rec = encoded(record_of(f), 1);
    codec::record_view v;
    BOOST_TEST(codec::parse(rec, 2, v) == rec.size());
    BOOST_TEST(v.id == std::string(26, '\0'));
    spool_record back;
    back.id = webhook::event_id::parse(some_id).value(); // replaced by none
    webhook::detail::spool_fields::assign(v, back);
    BOOST_TEST(back.id.empty());
    BOOST_TEST(back.payload == "{}");
}

BOOST_AUTO_TEST_CASE(records_at_offsets_of_a_segment) {
    fields a = some_fields(), b = some_fields();
    a.sequence = 10;
    b.sequence = 11;
    b.payload = "[1,2,3]";
    b.headers.clear();
    std::string segment(codec::file_header_size, '\0');
    codec::put_file_header(segment.data());
    segment += encoded(record_of(a), 10);
    const std::size_t second = segment.size();
    segment += encoded(record_of(b), 11);

    BOOST_TEST(segment.substr(0, 8) == std::string("WHSP\x02\0\0\0", 8));
    BOOST_TEST(segment.substr(8) == layout(a, 2) + layout(b, 2));
    codec::record_view v;
    const std::string_view bytes(segment);
    const std::size_t n = codec::parse(bytes.substr(codec::file_header_size), 2, v);
    BOOST_TEST(n == second - codec::file_header_size);
    BOOST_TEST(v.sequence == 10u);
    BOOST_TEST(codec::parse(bytes.substr(second), 2, v) == segment.size() - second);
    BOOST_TEST(v.sequence == 11u);
    BOOST_TEST(v.payload == "[1,2,3]");
    BOOST_TEST(v.headers.empty());
    // Not at a record's start.
    BOOST_TEST(codec::parse(bytes.substr(codec::file_header_size + 1), 2, v) == 0u);
}

BOOST_AUTO_TEST_CASE(damaged_crc_is_no_record) {
    const std::string rec = encoded(record_of(some_fields()), 42);
    codec::record_view v;
    // Any byte after the CRC changed (the length excepted: see truncated_record_is_no_record).
    for (std::size_t i = codec::record_header_size; i < rec.size(); ++i) {
        std::string bad = rec;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        BOOST_TEST(codec::parse(bad, 2, v) == 0u, "byte " << i);
    }
    // The CRC itself changed.
    std::string bad = rec;
    bad[5] = static_cast<char>(bad[5] ^ 0x80);
    BOOST_TEST(codec::parse(bad, 2, v) == 0u);
}

BOOST_AUTO_TEST_CASE(truncated_record_is_no_record) {
    const std::string rec = encoded(record_of(some_fields()), 42);
    codec::record_view v;
    for (std::size_t n = 0; n < rec.size(); ++n)
        BOOST_TEST(codec::parse(std::string_view(rec).substr(0, n), 2, v) == 0u, "size " << n);
    // A length beyond the bytes, or below the smallest body, with the CRC made to match.
    for (const std::uint32_t length : {std::uint32_t{200}, std::uint32_t{65}}) {
        std::string bad = rec;
        codec::put_u32(bad.data() + 8, length);
        codec::put_u32(bad.data() + 4, reference_crc(std::string_view(bad).substr(8)));
        BOOST_TEST(codec::parse(bad, 2, v) == 0u);
    }
}

BOOST_AUTO_TEST_CASE(inconsistent_fields_are_no_record) {
    fields f = some_fields();
    codec::record_view v;
    // A string length that leads past the body, its CRC right.
    std::string rec = layout(f, 2);
    codec::put_u32(rec.data() + 12 + 8 + 26, 1000);
    codec::put_u32(rec.data() + 4, reference_crc(std::string_view(rec).substr(8)));
    BOOST_TEST(codec::parse(rec, 2, v) == 0u);
    // An id that is not one.
    f.id = std::string(26, 'U'); // not a Crockford base32 digit
    BOOST_TEST(codec::parse(layout(f, 2), 2, v) == 0u);
}

BOOST_AUTO_TEST_CASE(wrong_magic_is_no_record) {
    std::string rec = encoded(record_of(some_fields()), 42);
    codec::record_view v;
    for (std::size_t i = 0; i < 4; ++i) {
        std::string bad = rec;
        bad[i] = static_cast<char>(bad[i] ^ 0x10);
        BOOST_TEST(codec::parse(bad, 2, v) == 0u);
    }
    BOOST_TEST(codec::parse(std::string(rec.size(), '\0'), 2, v) == 0u); // preallocated zeros
}

BOOST_AUTO_TEST_CASE(file_headers) {
    char header[codec::file_header_size];
    codec::put_file_header(header);
    BOOST_TEST(std::string(header, 8) == std::string("WHSP\x02\0\0\0", 8));
    BOOST_TEST((codec::file_header_version(std::string_view(header, 8)) == 2u));
    BOOST_TEST((codec::file_header_version(std::string("WHSP\x01\0\0\0rest", 12)) == 1u));
    // A later release's version is read as such, and is not readable.
    BOOST_TEST((codec::file_header_version(std::string("WHSP\x03\0\0\0", 8)) == 3u));
    BOOST_TEST(!codec::readable_version(3));
    BOOST_TEST(!codec::readable_version(0));
    BOOST_TEST(codec::readable_version(1));
    BOOST_TEST(codec::readable_version(2));
    // Wrong magic, too short.
    BOOST_TEST(!codec::file_header_version(std::string("WHSQ\x02\0\0\0", 8)));
    BOOST_TEST(!codec::file_header_version(std::string("whsp\x02\0\0\0", 8)));
    BOOST_TEST(!codec::file_header_version(std::string("WHSP\x02\0\0", 7)));
    BOOST_TEST(!codec::file_header_version(""));
}

BOOST_AUTO_TEST_CASE(version_1_record) {
    fields f = some_fields();
    f.headers.clear(); // version 1 has no place for them
    const std::string rec = layout(f, 1);
    BOOST_TEST(rec.size() == 118u - 4 - 8); // no headers' length, no headers
    BOOST_TEST(codec::min_body_size(1) == codec::min_body_size(2) - 4);
    codec::record_view v;
    v.headers = "left over";
    BOOST_TEST(codec::parse(rec, 1, v) == rec.size());
    BOOST_TEST(v.sequence == 42u);
    BOOST_TEST(v.id == some_id);
    BOOST_TEST(v.endpoint == f.endpoint);
    BOOST_TEST(v.target == f.target);
    BOOST_TEST(v.payload == f.payload);
    BOOST_TEST(v.headers.empty());
    BOOST_TEST(v.last_status == 503);
    BOOST_TEST(v.last_error == f.last_error);
    spool_record back;
    webhook::detail::spool_fields::assign(v, back);
    spool_record want = record_of(f);
    want.sequence = 42;
    BOOST_TEST((back == want));
    // Read as version 2, this record's fields do not line up.
    BOOST_TEST(codec::parse(rec, 2, v) == 0u);
}

BOOST_AUTO_TEST_CASE(ack_entries) {
    char entry[codec::ack_entry_size];
    codec::put_ack_entry(entry, 0x0102030405060708);
    const std::string bytes(entry, sizeof entry);
    BOOST_TEST(bytes == from_hex("08070605040302011c02f926"));
    std::string expected;
    le(expected, 0x0102030405060708, 8);
    le(expected, reference_crc(expected), 4);
    BOOST_TEST(bytes == expected);
    BOOST_TEST((codec::parse_ack_entry(bytes) == std::optional<std::uint64_t>(0x0102030405060708)));

    // A bad CRC: in the sequence, or in the CRC itself.
    std::string bad = bytes;
    bad[0] = static_cast<char>(bad[0] ^ 0x01);
    BOOST_TEST(!codec::parse_ack_entry(bad));
    bad = bytes;
    bad[11] = static_cast<char>(bad[11] ^ 0x40);
    BOOST_TEST(!codec::parse_ack_entry(bad));
    BOOST_TEST(!codec::parse_ack_entry(std::string(codec::ack_entry_size, '\0')));
    // Torn.
    BOOST_TEST(!codec::parse_ack_entry(std::string_view(bytes).substr(0, 11)));
    BOOST_TEST(codec::whole_ack_entries(0) == 0u);
    BOOST_TEST(codec::whole_ack_entries(11) == 0u);
    BOOST_TEST(codec::whole_ack_entries(25) == 24u);
}

BOOST_AUTO_TEST_CASE(file_names) {
    BOOST_TEST(codec::file_name(0xff, ".wal") == "seg-00000000000000ff.wal");
    BOOST_TEST(codec::file_name(0xFFFFFFFFFFFFFFFF, ".ack") == "seg-ffffffffffffffff.ack");
    BOOST_TEST((codec::parse_name("seg-00000000000000ff.wal", ".wal") ==
                std::optional<std::uint64_t>(0xff)));
    BOOST_TEST((codec::parse_name("seg-00000000000000ff.wal.tmp", ".wal.tmp") ==
                std::optional<std::uint64_t>(0xff)));
    BOOST_TEST(!codec::parse_name("seg-00000000000000ff.wal", ".ack"));
    BOOST_TEST(!codec::parse_name("seg-0000000000000ff.wal", ".wal"));
    BOOST_TEST(!codec::parse_name("seg-00000000000000fg.wal", ".wal"));
    BOOST_TEST(!codec::parse_name("log-00000000000000ff.wal", ".wal"));
}

BOOST_AUTO_TEST_CASE(zeros) {
    BOOST_TEST(codec::all_zero(""));
    BOOST_TEST(codec::all_zero(std::string(100, '\0')));
    BOOST_TEST(!codec::all_zero(std::string(99, '\0') + '\x01'));
}
