#include <webhook/transport/detail/sansio/exchange.hpp>

#define BOOST_TEST_MODULE transport_detail_sansio_exchange
#include <boost/test/unit_test.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/write.hpp>

#include <sstream>
#include <string>

// One exchange on a connection, decided without sockets: the head's bytes, the partial write,
// what a response head and the end of the stream mean, and the rule of retries.

namespace http = boost::beast::http;
namespace sansio = webhook::detail::sansio;
using sansio::failure_action;

namespace {

webhook::http_request sample_request() {
    webhook::http_request r{http::verb::post, "/hook?x=1", 11};
    r.set(http::field::host, "receiver.example");
    r.set("X-Api-Key", "k");
    r.body() = "{}";
    r.prepare_payload();
    return r;
}

std::string beast_head(const webhook::http_request& r) {
    std::ostringstream out;
    out << r.base();
    return out.str();
}

} // namespace

BOOST_AUTO_TEST_CASE(the_head_is_byte_for_byte_what_beast_writes) {
    const auto request = sample_request();
    std::string head = "left over";
    sansio::serialize_head(head, request, nullptr);
    BOOST_TEST(head == beast_head(request));
    BOOST_TEST(head == "POST /hook?x=1 HTTP/1.1\r\nHost: receiver.example\r\nX-Api-Key: k\r\n"
                       "Content-Length: 2\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(through_a_proxy_plain_http_is_sent_in_absolute_form) {
    BOOST_TEST(sansio::uses_absolute_form(true, false));
    BOOST_TEST(!sansio::uses_absolute_form(true, true)); // a tunnel: origin form
    BOOST_TEST(!sansio::uses_absolute_form(false, false));
    std::string head;
    const webhook::origin v4{false, "10.1.2.3", 8080};
    sansio::serialize_head(head, sample_request(), &v4);
    BOOST_TEST(head.starts_with("POST http://10.1.2.3:8080/hook?x=1 HTTP/1.1\r\n"));
    const webhook::origin v6{false, "::1", 80};
    sansio::serialize_head(head, sample_request(), &v6);
    BOOST_TEST(head.starts_with("POST http://[::1]:80/hook?x=1 HTTP/1.1\r\n"));
}

BOOST_AUTO_TEST_CASE(the_version_is_written_as_its_two_digits) {
    auto request = sample_request();
    request.version(10);
    std::string head;
    sansio::serialize_head(head, request, nullptr);
    BOOST_TEST(head.starts_with("POST /hook?x=1 HTTP/1.0\r\n"));
}

BOOST_AUTO_TEST_CASE(a_first_write_that_took_everything_reads_next) {
    BOOST_TEST((sansio::after_first_write({}, 10, 10) == sansio::write_step::read));
    BOOST_TEST((sansio::after_first_write({}, 4, 10) == sansio::write_step::wait_for_rest));
    BOOST_TEST((sansio::after_first_write(boost::asio::error::would_block, 0, 10) ==
                sansio::write_step::wait_for_rest));
    BOOST_TEST((sansio::after_first_write(boost::asio::error::try_again, 0, 10) ==
                sansio::write_step::wait_for_rest));
    BOOST_TEST((sansio::after_first_write(boost::asio::error::broken_pipe, 0, 10) ==
                sansio::write_step::fail));
}

BOOST_AUTO_TEST_CASE(a_partial_write_resumes_where_it_stopped) {
    const std::string head = "HEAD";
    const std::string body = "BODY!";
    sansio::head_and_body in_head{boost::asio::buffer(head), boost::asio::buffer(body)};
    sansio::skip_written(in_head, 3);
    BOOST_TEST(in_head[0].size() == 1u);
    BOOST_TEST(*static_cast<const char*>(in_head[0].data()) == 'D');
    BOOST_TEST(in_head[1].size() == 5u);

    sansio::head_and_body in_body{boost::asio::buffer(head), boost::asio::buffer(body)};
    sansio::skip_written(in_body, 6);
    BOOST_TEST(in_body[0].size() == 0u);
    BOOST_TEST(std::string(static_cast<const char*>(in_body[1].data()), in_body[1].size()) ==
               "DY!");

    sansio::head_and_body at_border{boost::asio::buffer(head), boost::asio::buffer(body)};
    sansio::skip_written(at_border, 4);
    BOOST_TEST(at_border[0].size() == 0u);
    BOOST_TEST(at_border[1].size() == 5u);
}

BOOST_AUTO_TEST_CASE(interim_answers_are_skipped_and_101_is_refused) {
    BOOST_TEST((sansio::classify_response(100) == sansio::response_kind::interim));
    BOOST_TEST((sansio::classify_response(103) == sansio::response_kind::interim));
    BOOST_TEST((sansio::classify_response(101) == sansio::response_kind::forbidden));
    for (unsigned status : {200u, 204u, 301u, 404u, 500u, 599u})
        BOOST_TEST((sansio::classify_response(status) == sansio::response_kind::final));
}

BOOST_AUTO_TEST_CASE(the_end_of_the_stream_ends_a_body_only_once_a_response_began) {
    BOOST_TEST((sansio::on_end_of_stream(false) == sansio::eof_meaning::no_response));
    BOOST_TEST((sansio::on_end_of_stream(true) == sansio::eof_meaning::end_of_body));
}

BOOST_AUTO_TEST_CASE(a_stale_reused_connection_is_retried_once_nothing_came_back) {
    sansio::failed_exchange f;
    f.reused = true;
    f.time_left = true;
    BOOST_TEST((sansio::after_failure(f) == failure_action::send_again));
}

BOOST_AUTO_TEST_CASE(a_new_connection_is_never_retried) {
    sansio::failed_exchange f;
    f.time_left = true;
    BOOST_TEST((sansio::after_failure(f) == failure_action::report));
}

BOOST_AUTO_TEST_CASE(a_byte_of_a_response_ends_the_retries) {
    sansio::failed_exchange f;
    f.reused = true;
    f.time_left = true;
    f.response_begun = true;
    BOOST_TEST((sansio::after_failure(f) == failure_action::report));
}

BOOST_AUTO_TEST_CASE(no_retry_once_the_request_deadline_passed) {
    sansio::failed_exchange f;
    f.reused = true;
    BOOST_TEST((sansio::after_failure(f) == failure_action::report));
}

BOOST_AUTO_TEST_CASE(a_timeout_or_a_cancellation_is_never_retried) {
    sansio::failed_exchange f;
    f.reused = true;
    f.time_left = true;
    f.timed_out = true;
    BOOST_TEST((sansio::after_failure(f) == failure_action::report_timeout));
    f.timed_out = false;
    f.cancelled = true;
    BOOST_TEST((sansio::after_failure(f) == failure_action::report_timeout));
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_is_reported_as_the_library_error) {
    BOOST_TEST(sansio::reported_error(http::error::body_limit) ==
               make_error_code(webhook::error::response_body_too_large));
    const boost::system::error_code cut = http::error::partial_message;
    BOOST_TEST(sansio::reported_error(cut) == cut);
}

BOOST_AUTO_TEST_CASE(a_cancellation_wins_over_a_timeout_which_wins_over_the_error) {
    const boost::system::error_code reset = boost::asio::error::connection_reset;
    BOOST_TEST(sansio::report_error(reset, false, false) == reset);
    const auto timeout = make_error_code(boost::beast::error::timeout);
    BOOST_TEST(sansio::report_error(reset, true, false) == timeout);
    BOOST_TEST(sansio::report_error(reset, true, true) == boost::asio::error::operation_aborted);
    BOOST_TEST(sansio::report_error(reset, false, true) == boost::asio::error::operation_aborted);
}
