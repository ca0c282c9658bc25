#include <webhook/transport/beast_transport.hpp>

#define BOOST_TEST_MODULE transport_destination_guard
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/test_proxy.hpp"
#include "support/test_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <initializer_list>
#include <string>
#include <vector>

// The SSRF guard of the built-in transport (beast_transport_options::destinations) and the
// host mapping (beast_transport_options::hosts), against real sockets on loopback. Names are
// mapped to loopback and private addresses; a second loopback address, 127.0.0.2, serves as a
// listener that must never see a connection attempt.

namespace http = boost::beast::http;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
using webhook::error;
using webhook::ip_range;
using webhook::test::test_receiver;

namespace {

template <class E>
boost::system::error_code code(E e) {
    return make_error_code(e);
}

webhook::beast_transport_options fast_timeouts() {
    webhook::beast_transport_options o;
    o.connect_timeout = 2s;
    o.handshake_timeout = 2s;
    o.request_timeout = 2s;
    return o;
}

/// The guard on, with `allow` as its exceptions.
webhook::beast_transport_options public_only(std::vector<ip_range> allow = {}) {
    auto o = fast_timeouts();
    o.destinations.public_only = true;
    o.destinations.allow = std::move(allow);
    return o;
}

webhook::host_mapping mapping(std::string host, std::initializer_list<const char*> addresses) {
    webhook::host_mapping m;
    m.host = std::move(host);
    for (const char* a : addresses)
        m.addresses.push_back(asio::ip::make_address(a));
    return m;
}

struct exchange {
    boost::system::error_code ec;
    webhook::http_response response;
    std::chrono::steady_clock::duration took{};
};

exchange post(webhook::beast_transport& t, const std::string& url) {
    const webhook::endpoint_url u(url);
    const auto req = webhook::make_request(http::verb::post, u, "{}");
    exchange x;
    const auto start = std::chrono::steady_clock::now();
    x.response = t.send(u.origin(), req, x.ec);
    x.took = std::chrono::steady_clock::now() - start;
    return x;
}

std::string url(const std::string& host, unsigned short port, const std::string& path = "/hook") {
    return "http://" + host + ":" + std::to_string(port) + path;
}

std::size_t resolutions(const webhook::beast_transport& t, const std::string& u) {
    return webhook::detail::beast_transport_access::resolutions(t,
                                                                webhook::endpoint_url(u).origin());
}

/** A listener that never accepts. A connection attempt completes in the kernel's backlog all
    the same, so `attempted()` tells, without waiting, whether anyone tried to connect. */
class decoy {
public:
    explicit decoy(const char* address, unsigned short port = 0) : acceptor_(io_) {
        const tcp::endpoint at(asio::ip::make_address(address), port);
        acceptor_.open(at.protocol());
        acceptor_.bind(at);
        acceptor_.listen();
        acceptor_.non_blocking(true);
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    bool attempted() {
        tcp::socket s(io_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec); // would_block: nothing in the backlog
        return !ec;
    }

private:
    asio::io_context io_;
    tcp::acceptor acceptor_;
};

/// A port on 127.0.0.1 where nothing listens: connecting to it is refused at once.
unsigned short closed_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return a.local_endpoint().port();
}

} // namespace

BOOST_AUTO_TEST_SUITE(direct)

BOOST_AUTO_TEST_CASE(name_mapped_to_a_private_address_fails_before_connecting) {
    auto options = public_only();
    options.hosts = {mapping("internal.test", {"10.0.0.5"})};
    webhook::beast_transport transport(options);
    const std::string u = url("internal.test", 8080);
    const auto x = post(transport, u);
    BOOST_TEST(x.ec == error::address_not_allowed);
    // A connection attempt to 10.0.0.5 would end in a timeout or a network error instead.
    BOOST_TEST(x.took < 1s);
    BOOST_TEST(transport.open_connections(webhook::endpoint_url(u).origin()) == 0u);
}

BOOST_AUTO_TEST_CASE(name_mapped_to_loopback_is_refused_and_nothing_reaches_the_receiver) {
    test_receiver receiver;
    auto options = public_only();
    options.hosts = {mapping("loop.test", {"127.0.0.1"})};
    webhook::beast_transport transport(options);
    BOOST_TEST(post(transport, url("loop.test", receiver.port())).ec == error::address_not_allowed);
    BOOST_TEST(receiver.connections_accepted() == 0u);
    BOOST_TEST(receiver.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(allowed_range_lets_a_mapped_name_through) {
    test_receiver receiver;
    auto options = public_only({ip_range("127.0.0.0/8")});
    options.hosts = {mapping("loop.test", {"127.0.0.1"})};
    webhook::beast_transport transport(options);
    const auto x = post(transport, url("loop.test", receiver.port()));
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(x.response.result_int() == 200u);
    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].header("Host").value_or("") ==
               "loop.test:" + std::to_string(receiver.port()));
}

BOOST_AUTO_TEST_CASE(ip_literals_are_checked_like_resolved_names) {
    test_receiver receiver;
    webhook::beast_transport transport(public_only());
    const auto port = receiver.port();
    for (const std::string host :
         {"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "169.254.169.254", "[fd00::2]"}) {
        const auto x = post(transport, url(host, port));
        BOOST_TEST(x.ec == error::address_not_allowed, host << ": " << x.ec.message());
    }
    BOOST_TEST(receiver.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(other_spellings_of_loopback_are_refused_after_resolution) {
    // Not IPv4 literals to the URL parser, but the system resolver reads them as 127.0.0.1.
    test_receiver receiver;
    webhook::beast_transport transport(public_only());
    for (const std::string host : {"2130706433", "0x7f.1", "127.1"}) {
        const auto x = post(transport, url(host, receiver.port()));
        BOOST_TEST(x.ec == error::address_not_allowed, host << ": " << x.ec.message());
    }
    BOOST_TEST(receiver.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(localhost_through_the_system_resolver_is_refused) {
    test_receiver receiver;
    webhook::beast_transport transport(public_only());
    const auto x = post(transport, url("localhost", receiver.port()));
    BOOST_TEST(x.ec == error::address_not_allowed, x.ec.message());
    BOOST_TEST(receiver.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(requests_sharing_a_refused_resolution_are_all_refused) {
    test_receiver receiver;
    auto options = public_only();
    options.max_connections_per_origin = 4;
    webhook::beast_transport transport(options);
    const webhook::endpoint_url u(url("localhost", receiver.port()));
    const auto req = webhook::make_request(http::verb::post, u, "{}");
    std::vector<std::future<webhook::http_response>> results;
    for (int i = 0; i < 4; ++i) // the first resolves; the others wait for its answer
        results.push_back(transport.async_send(u.origin(), req, asio::use_future));
    for (auto& f : results) {
        try {
            f.get();
            BOOST_ERROR("delivered");
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == error::address_not_allowed, e.code().message());
        }
    }
    BOOST_TEST(receiver.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(only_the_permitted_addresses_of_a_name_are_connected_to) {
    test_receiver receiver;
    decoy other("127.0.0.2", receiver.port()); // the same port on another loopback address
    auto options = public_only({ip_range("127.0.0.1/32")});
    options.hosts = {mapping("multi.test", {"10.0.0.5", "127.0.0.2", "127.0.0.1"})};
    webhook::beast_transport transport(options);
    const auto x = post(transport, url("multi.test", receiver.port()));
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(x.took < 1s); // 10.0.0.5 was not tried either
    BOOST_TEST(receiver.request_count() == 1u);
    BOOST_TEST(!other.attempted());
}

BOOST_AUTO_TEST_CASE(without_the_guard_every_mapped_address_is_tried_in_order) {
    // The control for the test above: the same mapping, the guard off.
    test_receiver receiver;
    decoy other("127.0.0.2", receiver.port());
    auto options = fast_timeouts();
    options.request_timeout = 300ms; // the decoy never answers
    options.hosts = {mapping("multi.test", {"127.0.0.2", "127.0.0.1"})};
    webhook::beast_transport transport(options);
    const auto x = post(transport, url("multi.test", receiver.port()));
    BOOST_TEST(x.ec == code(boost::beast::error::timeout));
    BOOST_TEST(other.attempted());
    BOOST_TEST(receiver.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(guard_off_a_mapped_name_is_delivered_to_its_address) {
    test_receiver receiver;
    auto options = fast_timeouts();
    options.hosts = {mapping("Loop.Test", {"127.0.0.1"})}; // names match ignoring case
    webhook::beast_transport transport(options);
    const std::string u = url("loop.test", receiver.port());
    for (int i = 0; i < 2; ++i) {
        const auto x = post(transport, u);
        BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    }
    BOOST_TEST(receiver.request_count() == 2u);
    BOOST_TEST(resolutions(transport, u) == 1u); // cached like a DNS answer
}

BOOST_AUTO_TEST_CASE(guard_off_loopback_is_reachable_by_default) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    BOOST_TEST(!post(transport, receiver.url("/hook")).ec);
    BOOST_TEST(!post(transport, url("localhost", receiver.port())).ec);
    BOOST_TEST(receiver.request_count() == 2u);
}

BOOST_AUTO_TEST_CASE(mapping_without_addresses_is_an_unknown_host) {
    webhook::beast_transport_options options = fast_timeouts();
    options.hosts = {mapping("nowhere.test", {})};
    webhook::beast_transport transport(options);
    BOOST_TEST(post(transport, url("nowhere.test", 8080)).ec == code(asio::error::host_not_found));
}

BOOST_AUTO_TEST_CASE(re_resolution_after_a_connect_failure_is_checked_again) {
    // A name first points at a permitted address where nothing listens; the connect failure
    // makes the pool resolve again, and the name now points at a refused address (DNS
    // rebinding).
    const unsigned short port = closed_port();
    decoy other("127.0.0.2", port);
    auto options = public_only({ip_range("127.0.0.1/32")});
    options.hosts = {mapping("moving.test", {"127.0.0.1"})};
    webhook::beast_transport transport(options);
    const std::string u = url("moving.test", port);

    BOOST_TEST(post(transport, u).ec == code(asio::error::connection_refused));
    BOOST_TEST(resolutions(transport, u) == 1u);

    webhook::detail::beast_transport_access::set_hosts(transport,
                                                       {mapping("moving.test", {"127.0.0.2"})});
    BOOST_TEST(post(transport, u).ec == error::address_not_allowed);
    BOOST_TEST(resolutions(transport, u) == 2u);
    // A refusal forgets the addresses: the name may move to a permitted one.
    BOOST_TEST(post(transport, u).ec == error::address_not_allowed);
    BOOST_TEST(resolutions(transport, u) == 3u);
    BOOST_TEST(!other.attempted());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(through_a_proxy)

BOOST_AUTO_TEST_CASE(destination_resolving_to_loopback_is_refused_before_the_proxy_sees_it) {
    test_receiver receiver;
    webhook::test::test_connect_proxy proxy;
    auto options = public_only();
    options.proxy = proxy.url();
    webhook::beast_transport transport(options);
    const std::string authority = "localhost:" + std::to_string(receiver.port());
    BOOST_TEST(post(transport, "http://" + authority + "/hook").ec == error::address_not_allowed);
    BOOST_TEST(post(transport, "https://" + authority + "/hook").ec == error::address_not_allowed);
    BOOST_TEST(proxy.forwarded_targets().empty());
    BOOST_TEST(proxy.connect_targets().empty());
    BOOST_TEST(receiver.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(permitted_destination_is_forwarded_by_name) {
    test_receiver receiver;
    webhook::test::test_connect_proxy proxy;
    auto options = public_only({ip_range("127.0.0.0/8"), ip_range("::1/128")});
    options.proxy = proxy.url();
    webhook::beast_transport transport(options);
    const std::string u = url("localhost", receiver.port());
    const auto x = post(transport, u);
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(proxy.forwarded_targets() == std::vector<std::string>{u}); // the name, as given
    BOOST_TEST(receiver.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(proxy_on_loopback_is_exempt) {
    // public.test passes the check (mapped to a public address); the proxy at 127.0.0.1 is
    // connected to although loopback is not permitted. The test proxy then refuses the
    // non-loopback target.
    webhook::test::test_connect_proxy proxy;
    auto options = public_only();
    options.proxy = proxy.url();
    options.hosts = {mapping("public.test", {"8.8.8.8"})};
    webhook::beast_transport transport(options);
    BOOST_TEST(post(transport, "https://public.test/hook").ec == error::proxy_connect_failed);
    BOOST_TEST(proxy.connect_targets() == std::vector<std::string>{"public.test:443"});
}

BOOST_AUTO_TEST_CASE(proxy_named_as_the_destination_is_checked_like_any_other) {
    webhook::test::test_connect_proxy proxy;
    auto options = public_only();
    options.proxy = proxy.url();
    options.hosts = {mapping("public.test", {"8.8.8.8"})};
    webhook::beast_transport transport(options);
    BOOST_TEST(post(transport, proxy.url() + "/admin").ec == error::address_not_allowed);
    BOOST_TEST(proxy.forwarded_targets().empty());
    // The refusal leaves the proxy usable for the other destinations.
    BOOST_TEST(post(transport, "https://public.test/hook").ec == error::proxy_connect_failed);
    BOOST_TEST(proxy.connect_targets() == std::vector<std::string>{"public.test:443"});
}

BOOST_AUTO_TEST_CASE(every_address_of_the_destination_must_be_permitted) {
    // The proxy could pick any of them.
    webhook::test::test_connect_proxy proxy;
    auto options = public_only();
    options.proxy = proxy.url();
    options.hosts = {mapping("mixed.test", {"8.8.8.8", "10.0.0.5"})};
    webhook::beast_transport transport(options);
    BOOST_TEST(post(transport, "https://mixed.test/hook").ec == error::address_not_allowed);
    BOOST_TEST(proxy.connect_targets().empty());
}

BOOST_AUTO_TEST_CASE(destination_is_checked_again_for_each_connection) {
    webhook::test::test_connect_proxy proxy;
    auto options = public_only();
    options.proxy = proxy.url();
    options.hosts = {mapping("public.test", {"8.8.8.8"})};
    webhook::beast_transport transport(options);
    // Refused by the test proxy: the connection is not kept, the next request opens another.
    BOOST_TEST(post(transport, "https://public.test/hook").ec == error::proxy_connect_failed);
    webhook::detail::beast_transport_access::set_hosts(transport,
                                                       {mapping("public.test", {"10.0.0.5"})});
    BOOST_TEST(post(transport, "https://public.test/hook").ec == error::address_not_allowed);
    BOOST_TEST(proxy.connect_targets().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
