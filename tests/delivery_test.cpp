#include <webhook/delivery.hpp>

#include <webhook/error.hpp>

#define BOOST_TEST_MODULE delivery
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>
#include <string_view>

using webhook::delivery_status;
using webhook::event_id;
using sys_clock = std::chrono::system_clock;

namespace {

sys_clock::time_point at_ms(std::int64_t ms) {
    return sys_clock::time_point{std::chrono::milliseconds(ms)};
}

template <class T>
std::string printed(const T& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

constexpr std::uint64_t all_ones = ~std::uint64_t{0};

} // namespace

BOOST_AUTO_TEST_SUITE(event_id_)

BOOST_AUTO_TEST_CASE(ulid_spec_timestamp_encodes_as_01ARYZ6S41) {
    // The example of the ULID specification: 1469918176385 ms.
    const event_id id(at_ms(1469918176385), 0, 0);
    BOOST_TEST(id.view().size() == 26u);
    BOOST_TEST(id.view().substr(0, 10) == "01ARYZ6S41");
    BOOST_TEST(id.view().substr(10) == "0000000000000000");
}

BOOST_AUTO_TEST_CASE(zero_time_and_zero_randomness_is_all_zeros) {
    BOOST_TEST(event_id(at_ms(0), 0, 0).view() == "00000000000000000000000000");
}

BOOST_AUTO_TEST_CASE(latest_time_the_clock_holds_encodes_exactly) {
    // system_clock counts nanoseconds: its last millisecond, in 2262, needs only 43 of the 48
    // bits, so the 48-bit time of a ULID never overflows.
    const event_id id(sys_clock::time_point::max(), all_ones, all_ones);
    BOOST_TEST(id.view() == "08CDXX0PQPZZZZZZZZZZZZZZZZ"); // 9223372036854 ms
}

BOOST_AUTO_TEST_CASE(randomness_fills_the_last_16_characters_big_endian) {
    // 80 random bits: the low 16 of random_high, then random_low.
    BOOST_TEST(event_id(at_ms(0), 0, 1).view() == "00000000000000000000000001");
    BOOST_TEST(event_id(at_ms(0), 0, 31).view() == "0000000000000000000000000Z");
    BOOST_TEST(event_id(at_ms(0), 0, 32).view() == "00000000000000000000000010");
    BOOST_TEST(event_id(at_ms(0), 1, 0).view() == "0000000000000G000000000000");      // 2^64
    BOOST_TEST(event_id(at_ms(0), 0x8000, 0).view() == "0000000000G000000000000000"); // 2^79
    BOOST_TEST(event_id(at_ms(0), 0xFFFF, all_ones).view() == "0000000000ZZZZZZZZZZZZZZZZ");
}

BOOST_AUTO_TEST_CASE(only_80_random_bits_are_used) {
    BOOST_TEST(event_id(at_ms(0), 0xABCD0000, 0).view() == "00000000000000000000000000");
    BOOST_TEST((event_id(at_ms(5), 0x1234'FFFF, 7) == event_id(at_ms(5), 0xFFFF, 7)));
}

BOOST_AUTO_TEST_CASE(time_fills_the_first_10_characters) {
    BOOST_TEST(event_id(at_ms(1), 0, 0).view() == "00000000010000000000000000");
    BOOST_TEST(event_id(at_ms(32), 0, 0).view() == "00000000100000000000000000");
    BOOST_TEST(event_id(at_ms(std::int64_t{1} << 42), 0, 0).view() == "04000000000000000000000000");
}

BOOST_AUTO_TEST_CASE(sub_millisecond_time_is_truncated) {
    const sys_clock::time_point t = at_ms(1469918176385) + std::chrono::microseconds(999);
    BOOST_TEST(event_id(t, 0, 0).view().substr(0, 10) == "01ARYZ6S41");
}

BOOST_AUTO_TEST_CASE(time_before_1970_is_clamped_to_zero) {
    BOOST_TEST(event_id(at_ms(-1), 0, 0).view() == "00000000000000000000000000");
    BOOST_TEST(event_id(sys_clock::time_point::min(), 0, 5).view() == "00000000000000000000000005");
}

BOOST_AUTO_TEST_CASE(every_character_is_crockford_base32) {
    constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::uint64_t x = 0x0123456789ABCDEFULL;
    for (int i = 0; i < 1000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const event_id id(at_ms(static_cast<std::int64_t>(x >> 21)), x, ~x); // 43 bits
        BOOST_TEST(id.view().find_first_not_of(alphabet) == std::string_view::npos, id.view());
    }
}

BOOST_AUTO_TEST_CASE(ids_sort_by_time) {
    const std::int64_t base = 1'700'000'000'000;
    const event_id a(at_ms(base), 0xFFFF, all_ones); // the largest randomness
    const event_id b(at_ms(base + 1), 0, 0);         // the smallest, one millisecond later
    const event_id c(at_ms(base + 1000), 0x1234, 42);
    const event_id d(at_ms(base + 86'400'000), 0, 1);
    BOOST_TEST(a.view() < b.view());
    BOOST_TEST(b.view() < c.view());
    BOOST_TEST(c.view() < d.view());
    // Times from 1970 to 2262 in steps, whatever the randomness.
    const std::int64_t last = 9'223'372'036'854;
    std::string previous;
    for (std::int64_t t = 0; t <= last; t += last / 997) {
        const std::string id(event_id(at_ms(t), t & 1 ? all_ones : 0, all_ones).view());
        BOOST_TEST(previous < id, t);
        previous = id;
    }
}

BOOST_AUTO_TEST_CASE(ids_at_the_same_time_sort_by_randomness) {
    BOOST_TEST(event_id(at_ms(7), 0, 5).view() < event_id(at_ms(7), 0, 6).view());
    BOOST_TEST(event_id(at_ms(7), 0, all_ones).view() < event_id(at_ms(7), 1, 0).view());
}

BOOST_AUTO_TEST_CASE(default_id_is_empty) {
    const event_id id;
    BOOST_TEST(id.empty());
    BOOST_TEST(!event_id(at_ms(0), 0, 0).empty()); // all '0' characters, not empty
    BOOST_TEST((id == event_id()));
    BOOST_TEST(!(id == event_id(at_ms(0), 0, 0)));
}

BOOST_AUTO_TEST_CASE(id_is_printed_as_its_26_characters) {
    const event_id id(at_ms(1469918176385), 0x1234, 0x56789ABCDEF01234ULL);
    BOOST_TEST(printed(id) == std::string(id.view()));
    BOOST_TEST(printed(id) == "01ARYZ6S4128T5CY4TQKFF04HM");
}

BOOST_AUTO_TEST_CASE(empty_id_prints_nothing) {
    BOOST_TEST(printed(event_id()) == "");
}

BOOST_AUTO_TEST_CASE(id_printing_honours_the_field_width) {
    std::ostringstream os;
    os << std::setw(28) << std::left << event_id(at_ms(0), 0, 0) << '|';
    BOOST_TEST(os.str() == "00000000000000000000000000  |");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(delivery_status_)

BOOST_AUTO_TEST_CASE(every_status_has_its_name) {
    BOOST_TEST(std::string_view(to_string(delivery_status::delivered)) == "delivered");
    BOOST_TEST(std::string_view(to_string(delivery_status::failed)) == "failed");
    BOOST_TEST(std::string_view(to_string(delivery_status::gone)) == "gone");
    BOOST_TEST(std::string_view(to_string(delivery_status::dropped)) == "dropped");
    BOOST_TEST(std::string_view(to_string(delivery_status::rejected)) == "rejected");
    BOOST_TEST(std::string_view(to_string(delivery_status::abandoned)) == "abandoned");
}

BOOST_AUTO_TEST_CASE(a_value_outside_the_enumeration_is_unknown) {
    BOOST_TEST(std::string_view(to_string(static_cast<delivery_status>(99))) == "unknown");
}

BOOST_AUTO_TEST_CASE(status_is_printed_by_name) {
    BOOST_TEST(printed(delivery_status::delivered) == "delivered");
    BOOST_TEST(printed(delivery_status::abandoned) == "abandoned");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(delivery_)

BOOST_AUTO_TEST_CASE(a_default_delivery_is_rejected_and_not_ok) {
    const webhook::delivery d;
    BOOST_TEST(!d.ok());
    BOOST_TEST(d.id.empty());
    BOOST_TEST(d.attempts.empty());
    BOOST_TEST(d.batch_size == 1u);
    BOOST_TEST(printed(d.status) == "rejected");
}

BOOST_AUTO_TEST_CASE(only_delivered_is_ok) {
    webhook::delivery d;
    d.status = delivery_status::delivered;
    BOOST_TEST(d.ok());
    d.status = delivery_status::gone;
    BOOST_TEST(!d.ok());
}

BOOST_AUTO_TEST_CASE(a_printed_delivery_says_what_happened_last) {
    webhook::delivery d;
    d.error = webhook::error::queue_full;
    BOOST_TEST(printed(d) == "rejected: dispatcher queue is full");
    BOOST_TEST(webhook::to_string(d) == printed(d));

    d.id = event_id(at_ms(0), 0, 1);
    d.status = delivery_status::failed;
    d.attempts.resize(3);
    d.attempts[0].status = 503;
    d.attempts[1].error = make_error_code(boost::system::errc::connection_refused);
    d.attempts[2].status = 503;
    d.error = webhook::error::retries_exhausted;
    d.http_status = 503;
    BOOST_TEST(printed(d) == "00000000000000000000000001 failed after 3 attempts: HTTP 503 "
                             "(receiver kept answering with a status that is retried until "
                             "the retry policy allowed no more attempts)");

    // The last attempt's own error is the outcome's: said once.
    d.attempts[2] = {};
    d.attempts[2].error = make_error_code(boost::system::errc::timed_out);
    d.error = d.attempts[2].error;
    BOOST_TEST(printed(d) ==
               "00000000000000000000000001 failed after 3 attempts: " + d.error.message());

    d.attempts.resize(1);
    d.attempts[0] = {};
    d.attempts[0].status = 204;
    d.status = delivery_status::delivered;
    d.error = {};
    BOOST_TEST(printed(d) == "00000000000000000000000001 delivered after 1 attempt: HTTP 204");

    d.attempts.clear();
    d.status = delivery_status::dropped;
    d.error = webhook::error::dropped_from_full_queue;
    BOOST_TEST(printed(d) == "00000000000000000000000001 dropped: event dropped from a full "
                             "queue to make room for a newer one");
}

BOOST_AUTO_TEST_SUITE_END()
