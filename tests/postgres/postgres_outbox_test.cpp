// The transactional outbox end to end: a dispatcher posts into the caller's transaction, a
// dispatcher reading the outbox delivers to a loopback receiver once the transaction commits
// (woken by NOTIFY), never when it rolls back; refusals insert nothing; failures become dead
// letters in the dead letters' table, and come back with requeue.
#include <webhook/spool/postgres_spool.hpp>

#define BOOST_TEST_MODULE postgres_outbox
#include <boost/test/unit_test.hpp>

#include <webhook/dispatcher.hpp>

#include "postgres/postgres_spool_helpers.hpp"
#include "support/test_receiver.hpp"

#include <boost/describe.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace webhook;
using namespace webhook::test;
using namespace std::chrono_literals;

namespace {

struct order_placed {
    std::string order;
    int items = 0;
};
BOOST_DESCRIBE_STRUCT(order_placed, (), (order, items))

endpoint endpoint_for(const test_receiver& receiver) {
    endpoint e;
    e.url = receiver.url("/hooks/orders");
    e.data_location = data_path("event");
    e.retry.initial_delay = 10ms;
    e.retry.max_delay = 50ms;
    return e;
}

/// A worker that reads the outbox only when woken: the poll is an hour away.
dispatcher_options woken_only(const std::shared_ptr<postgres_spool>& outbox) {
    dispatcher_options o;
    o.spool = outbox;
    o.spool_poll_interval = 1h;
    return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_committed_event_is_delivered_and_a_rolled_back_one_never) {
    auto& server = shared_server();
    auto outbox = open_or_fail(options_for(server, fresh_table()));
    test_receiver receiver;
    dispatcher worker(endpoint_for(receiver), woken_only(outbox));
    dispatcher producer(endpoint_for(receiver)); // serializes; the outbox keeps the event

    transaction kept(server);
    kept.client().exec("CREATE TABLE orders_a (id text PRIMARY KEY)");
    kept.client().exec("INSERT INTO orders_a VALUES ('A-1')");
    const auto id = producer.post(order_placed{"A-1", 3}, outbox->in_transaction(kept.conn()));
    BOOST_REQUIRE(id);
    BOOST_TEST(!receiver.wait_for_requests(1, 300ms)); // not before the commit
    kept.commit();
    BOOST_REQUIRE(receiver.wait_for_requests(1, 10s)); // NOTIFY woke the worker

    transaction undone(server);
    const auto lost = producer.post(order_placed{"A-2", 1}, outbox->in_transaction(undone.conn()));
    BOOST_REQUIRE(lost);
    undone.rollback();
    transaction next(server);
    const auto last = producer.post(order_placed{"A-3", 2}, outbox->in_transaction(next.conn()));
    BOOST_REQUIRE(last);
    next.commit();
    BOOST_REQUIRE(receiver.wait_for_requests(2, 10s));
    BOOST_TEST(worker.flush(10s));

    const auto got = receiver.requests();
    BOOST_REQUIRE_EQUAL(got.size(), 2u);
    BOOST_TEST(got[0].method == "POST");
    BOOST_TEST(got[0].target == "/hooks/orders");
    BOOST_TEST(got[0].body == R"({"event":{"order":"A-1","items":3}})");
    BOOST_TEST(*got[0].header("webhook-id") == std::string(id->view()));
    BOOST_TEST(got[1].body == R"({"event":{"order":"A-3","items":2}})");
    BOOST_TEST(*got[1].header("webhook-id") == std::string(last->view()));
    BOOST_TEST(worker.counters().delivered == 2u);
    BOOST_TEST(worker.counters().accepted == 2u); // read from the outbox: the reader counts
    BOOST_TEST(outbox->stats().notifications >= 2u);
    pg_client cli(server.conninfo());
    BOOST_TEST(wait_for(
        [&] { return cli.count("SELECT count(*) FROM " + outbox->options().table) == 0; }));
}

BOOST_AUTO_TEST_CASE(a_refused_event_inserts_nothing_and_leaves_the_transaction_usable) {
    auto& server = shared_server();
    auto outbox = open_or_fail(options_for(server, fresh_table()));
    test_receiver receiver;
    endpoint small = endpoint_for(receiver);
    small.max_body_size = 40;
    dispatcher producer(small);
    transaction tx(server);
    const auto big =
        producer.post(order_placed{std::string(100, 'x'), 1}, outbox->in_transaction(tx.conn()));
    BOOST_TEST_REQUIRE(!big);
    BOOST_TEST(big.error() == make_error_code(error::request_body_too_large));
    const auto fits = producer.post(order_placed{"B-1", 1}, outbox->in_transaction(tx.conn()));
    BOOST_TEST(fits.has_value());
    producer.stop();
    const auto stopped = producer.post(order_placed{"B-2", 1}, outbox->in_transaction(tx.conn()));
    BOOST_TEST_REQUIRE(!stopped);
    BOOST_TEST(stopped.error() == make_error_code(error::dispatcher_stopped));
    tx.commit(); // the transaction was never failed by the refusals
    BOOST_TEST(producer.counters().rejected == 2u);
    BOOST_TEST(producer.counters().accepted == 0u); // the reader that delivers counts it
    pg_client cli(server.conninfo());
    BOOST_TEST(cli.count("SELECT count(*) FROM " + outbox->options().table) == 1);
}

BOOST_AUTO_TEST_CASE(a_failed_event_is_a_dead_letter_in_its_table_and_comes_back_with_requeue) {
    auto& server = shared_server();
    auto outbox = open_or_fail(options_for(server, fresh_table()));
    auto dead = outbox->dead_letters();
    BOOST_REQUIRE(dead);
    test_receiver receiver;
    receiver.push(behaviour::respond(422, "unknown order"));
    auto o = woken_only(outbox);
    o.dead_letters = *dead;
    dispatcher worker(endpoint_for(receiver), o);
    transaction tx(server);
    const auto id = worker.post(order_placed{"C-1", 5}, outbox->in_transaction(tx.conn()));
    BOOST_REQUIRE(id);
    tx.commit();
    BOOST_REQUIRE(receiver.wait_for_requests(1, 10s));
    BOOST_TEST(worker.flush(10s));
    BOOST_TEST(worker.counters().failed == 1u);

    pg_client cli(server.conninfo());
    const auto row = cli.rows("SELECT last_status, payload FROM " + (*dead)->options().table)[0];
    BOOST_TEST(row[0] == "422");
    BOOST_TEST(row[1] == R"({"order":"C-1","items":5})");
    const auto letters = read_all(**dead);
    BOOST_REQUIRE_EQUAL(letters.size(), 1u);
    BOOST_TEST(letters[0].id == *id);
    BOOST_TEST(letters[0].last_status == 422);

    // Requeued: appended to the outbox again with its id, delivered, gone from the dead letters.
    const auto again = worker.requeue(letters[0]);
    BOOST_REQUIRE(again);
    BOOST_TEST(*again == *id);
    BOOST_REQUIRE(receiver.wait_for_requests(2, 10s));
    BOOST_TEST(worker.flush(10s));
    BOOST_TEST(*receiver.requests()[1].header("webhook-id") == std::string(id->view()));
    BOOST_TEST(wait_for([&] {
        return cli.count("SELECT count(*) FROM " + (*dead)->options().table) == 0 &&
               cli.count("SELECT count(*) FROM " + outbox->options().table) == 0;
    }));
}

BOOST_AUTO_TEST_CASE(without_notify_the_workers_find_committed_events_by_polling) {
    auto& server = shared_server();
    auto o = options_for(server, fresh_table());
    o.notify = false; // for many concurrent appending transactions: see the option
    auto outbox = open_or_fail(o);
    test_receiver receiver;
    dispatcher_options polling;
    polling.spool = outbox;
    polling.spool_poll_interval = 20ms;
    dispatcher worker(endpoint_for(receiver), polling);
    transaction tx(server);
    const auto id = worker.post(order_placed{"D-1", 1}, outbox->in_transaction(tx.conn()));
    BOOST_REQUIRE(id);
    tx.commit();
    BOOST_REQUIRE(receiver.wait_for_requests(1, 10s));
    BOOST_TEST(*receiver.requests()[0].header("webhook-id") == std::string(id->view()));
    BOOST_TEST(outbox->stats().notifications == 0u); // found by a poll, not told
}
