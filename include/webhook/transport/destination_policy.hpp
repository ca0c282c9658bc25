#ifndef WEBHOOK_TRANSPORT_DESTINATION_POLICY_HPP
#define WEBHOOK_TRANSPORT_DESTINATION_POLICY_HPP

#include <boost/asio/ip/address.hpp>
#include <boost/system/result.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

/** The special-purpose range an IP address belongs to, or `global` if none: what the
    destination policy looks at. The ranges follow the IANA IPv4 and IPv6 Special-Purpose
    Address Registries (RFC 6890 and its updates), drawn conservatively: a block is non-public
    as a whole even where the registry marks a few of its addresses globally reachable
    (192.0.0.0/24, 2001::/23).

    IPv6 addresses that embed an IPv4 address are classified by the embedded address:
    IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96` (RFC 6052) and 6to4 `2002::/16`
    (RFC 3056). So `::ffff:10.1.2.3` is `private_network`, `64:ff9b::8.8.8.8` is `global`. */
enum class address_class {
    /// Publicly routable: in none of the ranges below.
    global,
    /// `0.0.0.0/8` ("this network", RFC 1122; connecting to `0.0.0.0` reaches the local host
    /// on Linux) and `::/128`.
    unspecified,
    /// `127.0.0.0/8` and `::1/128`.
    loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12` and `192.168.0.0/16` (RFC 1918).
    private_network,
    /// `100.64.0.0/10`, carrier-grade NAT (RFC 6598).
    shared_address,
    /// `169.254.0.0/16` (RFC 3927; cloud metadata services live at `169.254.169.254`) and
    /// `fe80::/10`.
    link_local,
    /// `192.0.0.0/24` (IETF protocol assignments, RFC 6890) and `2001::/23` (IETF protocol
    /// assignments, RFC 2928, with Teredo `2001::/32`), except the benchmarking block.
    ietf_protocol,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24` (RFC 5737), `2001:db8::/32`
    /// (RFC 3849) and `3fff::/20` (RFC 9637).
    documentation,
    /// `192.88.99.0/24`, the deprecated 6to4 relay anycast block (RFC 7526).
    relay_anycast,
    /// `198.18.0.0/15` (RFC 2544) and `2001:2::/48` (RFC 5180).
    benchmarking,
    /// `224.0.0.0/4` and `ff00::/8`.
    multicast,
    /// `240.0.0.0/4` except the broadcast address (RFC 1112), and every IPv6 address outside
    /// the global unicast block `2000::/3` that no other class names (for instance the
    /// deprecated IPv4-compatible `::/96`).
    reserved,
    /// `255.255.255.255/32`, limited broadcast (RFC 919).
    broadcast,
    /// `fc00::/7`, unique local addresses (RFC 4193).
    unique_local,
    /// `fec0::/10`, deprecated site-local addresses (RFC 3879).
    site_local,
    /// `100::/64`, discard-only (RFC 6666).
    discard_only,
    /// `64:ff9b:1::/48`, local-use NAT64 (RFC 8215).
    local_nat64,
};

/** What `address` is. Scope ids are ignored. */
address_class classify_address(const boost::asio::ip::address& address) noexcept;

/** A phrase for log and error messages, so that one can write `address << " is " <<
    to_string(c)`: `"public"`, `"private (RFC 1918)"`, `"loopback"`, `"link-local"`, ... */
const char* to_string(address_class c) noexcept;

inline std::ostream& operator<<(std::ostream& os, address_class c) {
    return os << to_string(c);
}

/** A block of IP addresses: a network address and a prefix length, as in `10.0.0.0/8` or
    `fd00::/8`.

    Text form: an IPv4 or IPv6 address, optionally followed by `/` and a decimal prefix length
    (0 to 32 for IPv4, 0 to 128 for IPv6); a bare address is a single address (`/32` or
    `/128`).
    Refused: a prefix length out of range, a malformed address (`1.2.3/8`), an IPv6 scope id
    (`fe80::1%eth0`), surrounding blanks, and bits set in the host part (`10.0.0.1/8`): that is
    more often a typo than a way to write `10.0.0.0/8`, and in an allow-list a typo widens or
    narrows what is reachable silently.

    An IPv4 range also contains the IPv4-mapped IPv6 forms of its addresses (`::ffff:a.b.c.d`),
    which reach the same hosts; an IPv6 range never contains an IPv4 address. */
class ip_range {
public:
    /** The range `network/prefix_length`.
        @throws boost::system::system_error (`errc::invalid_argument`) if `prefix_length` is
        above 32 (IPv4) or 128 (IPv6), if `network` has bits set beyond the prefix, or if it
        has a scope id. */
    ip_range(const boost::asio::ip::address& network, unsigned prefix_length);

    /** Parses `text`, e.g. `"10.0.0.0/8"`, `"fd00::/8"`, `"192.0.2.7"`.
        @throws boost::system::system_error (`errc::invalid_argument`), whose message names the
        text and what is wrong with it. */
    explicit ip_range(std::string_view text);

    /// Parses `text` without throwing; an error is `errc::invalid_argument`.
    static boost::system::result<ip_range> parse(std::string_view text);

    /// The first address of the range: every bit beyond the prefix is zero.
    const boost::asio::ip::address& network() const noexcept { return network_; }
    unsigned prefix_length() const noexcept { return prefix_length_; }

    /// Whether `address` lies in the range (scope ids are ignored).
    bool contains(const boost::asio::ip::address& address) const noexcept;

    /// `"10.0.0.0/8"`, `"fd00::/8"`: the text `parse` reads back.
    std::string to_string() const;

    friend bool operator==(const ip_range&, const ip_range&) = default;

private:
    ip_range() = default;
    /// Parses `text` into `out`; why it is not a range, or nullptr.
    static const char* parse_into(std::string_view text, ip_range& out);

    boost::asio::ip::address network_{};
    unsigned prefix_length_ = 0;
};

/** Which addresses the built-in transport may connect to: the guard against server-side
    request forgery (SSRF). Recommended whenever endpoint URLs come from customers or other
    untrusted parties: without it, a URL such as `http://169.254.169.254/` or one whose name
    resolves to `10.0.0.5` makes the service post into its own network.

    With `public_only`, the transport connects only to addresses whose `classify_address` is
    `address_class::global`, or that lie in one of the `allow` ranges. The check is made on the
    resolved addresses, at connect time, so that it covers IP literals in any spelling, names
    that resolve to internal addresses, names mapped with `beast_transport_options::hosts`, and
    every later resolution of a name (the pool resolves again after a failed connect): a name
    cannot pass once and then be re-pointed. Disallowed addresses of a name are skipped; if
    none is left, the request fails with `error::address_not_allowed` and no connection is
    attempted. The proxy of `beast_transport_options::proxy` is configured by the operator and
    exempt; see there for how the destination is checked through a proxy.

    Off by default, so that existing configurations and receivers on loopback keep working. */
struct destination_policy {
    /// Refuse every address that is not public, except those in `allow`.
    bool public_only = false;
    /// Ranges permitted although not public, e.g. `ip_range("10.20.0.0/16")` for an internal
    /// receiver. Only consulted with `public_only`.
    std::vector<ip_range> allow{};

    /// Whether the transport may connect to `address` under this policy.
    bool permits(const boost::asio::ip::address& address) const noexcept;

    friend bool operator==(const destination_policy&, const destination_policy&) = default;
};

} // namespace webhook

#include <webhook/transport/impl/destination_policy.hpp>

#endif
