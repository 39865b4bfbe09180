#pragma once
// Golden BGP messages, commented field by field. Shared by the codec and FSM tests (and mirrored in
// fuzz/corpus/bgp_*). Most are hand-written from RFC 4271/4760/5492/6793/1997/8092/2918/8203; the
// bird_* ones were captured from BIRD 2.0.12 (Debian bookworm) in a two-namespace lab, iBGP AS 64512,
// BIRD 10.99.61.1 exporting static routes with MED 5, community 64512:100, large 64512:1:2.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "vipd/bgp/messages.hpp"

namespace vipd::bgp::golden {

// 16-byte all-ones marker followed by `rest` (length, type, body).
inline Bytes msg(std::initializer_list<std::uint8_t> rest) {
  Bytes out(16 + rest.size(), 0xff);
  std::copy(rest.begin(), rest.end(), out.begin() + 16);
  return out;
}

inline const Bytes keepalive = msg({
    0x00, 0x13,  // length 19
    0x04,        // type KEEPALIVE
});

// vipd's OPEN: AS 64512, hold 90 s, id 192.168.1.10, MP v4+v6, route refresh, 4-octet AS.
inline const Bytes open_64512 = msg({
    0x00, 0x33,                          // length 51
    0x01,                                // type OPEN
    0x04,                                // version 4
    0xfc, 0x00,                          // my AS 64512
    0x00, 0x5a,                          // hold time 90
    0xc0, 0xa8, 0x01, 0x0a,              // BGP identifier 192.168.1.10
    0x16,                                // optional parameters length 22
    0x02, 0x14,                          // parameter: Capabilities, length 20
    0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  // multiprotocol: AFI 1 (IPv4), reserved, SAFI 1
    0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  // multiprotocol: AFI 2 (IPv6), reserved, SAFI 1
    0x02, 0x00,                          // route refresh
    0x41, 0x04, 0x00, 0x00, 0xfc, 0x00,  // 4-octet AS: 64512
});

// The peer's OPEN in the FRR style: one capability per optional parameter, including ones vipd
// does not interpret (Cisco route refresh 128, enhanced route refresh 70, FQDN 73), graceful
// restart with no families, AS 64512, hold 180, id 10.0.0.2.
inline const Bytes open_frr_style = msg({
    0x00, 0x46,                                      // length 70
    0x01,                                            // type OPEN
    0x04,                                            // version 4
    0xfc, 0x00,                                      // my AS 64512
    0x00, 0xb4,                                      // hold time 180
    0x0a, 0x00, 0x00, 0x02,                          // BGP identifier 10.0.0.2
    0x29,                                            // optional parameters length 41
    0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  // Capabilities(6): MP IPv4 unicast
    0x02, 0x02, 0x80, 0x00,                          // Capabilities(2): route refresh (Cisco, 128)
    0x02, 0x02, 0x02, 0x00,                          // Capabilities(2): route refresh
    0x02, 0x02, 0x46, 0x00,                          // Capabilities(2): enhanced route refresh (70)
    0x02, 0x06, 0x41, 0x04, 0x00, 0x00, 0xfc, 0x00,  // Capabilities(6): 4-octet AS 64512
    0x02, 0x04, 0x40, 0x02, 0x80, 0x78,              // Capabilities(4): GR, R bit, restart time 120
    0x02, 0x05, 0x49, 0x03, 0x01, 0x72, 0x00,        // Capabilities(5): FQDN (73) host "r", domain ""
});

// A 4-octet AS speaker: AS 4200000000 puts AS_TRANS in My AS (RFC 6793 §4.1).
inline const Bytes open_as4 = msg({
    0x00, 0x25,                          // length 37
    0x01,                                // type OPEN
    0x04,                                // version 4
    0x5b, 0xa0,                          // my AS 23456 (AS_TRANS)
    0x00, 0x00,                          // hold time 0 (no keepalives)
    0x0a, 0x00, 0x00, 0x03,              // BGP identifier 10.0.0.3
    0x08,                                // optional parameters length 8
    0x02, 0x06,                          // Capabilities, length 6
    0x41, 0x04, 0xfa, 0x56, 0xea, 0x00,  // 4-octet AS: 4200000000
});

// iBGP announcement of 192.168.10.1/32 as the seed's router expects it.
inline const Bytes update_v4 = msg({
    0x00, 0x47,                                // length 71
    0x02,                                      // type UPDATE
    0x00, 0x00,                                // withdrawn routes length 0
    0x00, 0x2b,                                // total path attribute length 43
    0x40, 0x01, 0x01, 0x02,                    // ORIGIN (well-known transitive), INCOMPLETE
    0x40, 0x02, 0x00,                          // AS_PATH, empty (iBGP)
    0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x01,  // NEXT_HOP 10.0.0.1
    0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0x64,  // LOCAL_PREF 100
    0xc0, 0x08, 0x04, 0xff, 0xff, 0xff, 0x02,  // COMMUNITIES (optional transitive): no-advertise
    0xc0, 0x20, 0x0c,                          // LARGE_COMMUNITIES, length 12
    0x00, 0x00, 0xfc, 0x00,                    //   global administrator 64512
    0x00, 0x00, 0x00, 0x01,                    //   local data 1
    0x00, 0x00, 0x00, 0x02,                    //   local data 2
    0x20, 0xc0, 0xa8, 0x0a, 0x01,              // NLRI 192.168.10.1/32
});

// eBGP announcement of 2001:db8:100::1/128 via MP_REACH_NLRI, 4-octet AS_PATH [64513], MED 5.
inline const Bytes update_v6 = msg({
    0x00, 0x59,        // length 89
    0x02,              // type UPDATE
    0x00, 0x00,        // withdrawn routes length 0
    0x00, 0x42,        // total path attribute length 66
    0x80, 0x0e, 0x26,  // MP_REACH_NLRI (optional non-transitive), length 38
    0x00, 0x02, 0x01,  //   AFI 2 (IPv6), SAFI 1 (unicast)
    0x10,              //   next hop length 16
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // 2001:db8::1
    0x00,                                      //   reserved
    0x80,                                      //   NLRI: prefix length 128
    0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,              // 2001:db8:100::1
    0x40, 0x01, 0x01, 0x00,                                // ORIGIN IGP
    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfc, 0x01,  // AS_PATH: AS_SEQUENCE of 1, AS 64513 (4-octet)
    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x05,              // MED 5
    0xc0, 0x63, 0x02, 0xbe, 0xef,                          // unknown optional transitive type 99, kept
});

// Withdraw 192.168.10.1/32 and 10.1.0.0/16.
inline const Bytes withdraw_v4 = msg({
    0x00, 0x1f,                    // length 31
    0x02,                          // type UPDATE
    0x00, 0x08,                    // withdrawn routes length 8
    0x20, 0xc0, 0xa8, 0x0a, 0x01,  // 192.168.10.1/32
    0x10, 0x0a, 0x01,              // 10.1.0.0/16 (2 bytes of address)
    0x00, 0x00,                    // total path attribute length 0
});

inline const Bytes end_of_rib_v4 = msg({
    0x00, 0x17,  // length 23
    0x02,        // type UPDATE
    0x00, 0x00,  // withdrawn routes length 0
    0x00, 0x00,  // total path attribute length 0
});

inline const Bytes end_of_rib_v6 = msg({
    0x00, 0x1d,                          // length 29
    0x02,                                // type UPDATE
    0x00, 0x00,                          // withdrawn routes length 0
    0x00, 0x06,                          // total path attribute length 6
    0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,  // MP_UNREACH_NLRI, length 3: AFI 2, SAFI 1, no NLRI
});

// Cease / Administrative Shutdown with the RFC 8203 message "maintenance".
inline const Bytes notification_shutdown = msg({
    0x00,
    0x21,  // length 33
    0x03,  // type NOTIFICATION
    0x06,  // error code 6 (Cease)
    0x02,  // subcode 2 (Administrative Shutdown)
    0x0b,  // shutdown communication length 11
    'm',
    'a',
    'i',
    'n',
    't',
    'e',
    'n',
    'a',
    'n',
    'c',
    'e',
});

inline const Bytes notification_hold_expired = msg({
    0x00, 0x15,  // length 21
    0x03,        // type NOTIFICATION
    0x04, 0x00,  // Hold Timer Expired, subcode 0
});

inline const Bytes route_refresh_v6 = msg({
    0x00, 0x17,  // length 23
    0x05,        // type ROUTE-REFRESH
    0x00, 0x02,  // AFI 2
    0x00,        // reserved
    0x01,        // SAFI 1
});

// --- captured from BIRD 2.0.12 ---

inline const Bytes bird_open = msg({
    0x00, 0x3b,                          // length 59
    0x01,                                // type OPEN
    0x04,                                // version 4
    0xfc, 0x00,                          // my AS 64512
    0x00, 0x09,                          // hold time 9
    0x0a, 0x63, 0x3d, 0x01,              // BGP identifier 10.99.61.1
    0x1e,                                // optional parameters length 30
    0x02, 0x1c,                          // Capabilities, length 28
    0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  // multiprotocol IPv4 unicast
    0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  // multiprotocol IPv6 unicast
    0x02, 0x00,                          // route refresh
    0x40, 0x02, 0x00, 0x78,              // graceful restart: no flags, restart time 120, no families
    0x41, 0x04, 0x00, 0x00, 0xfc, 0x00,  // 4-octet AS 64512
    0x46, 0x00,                          // enhanced route refresh (70), not interpreted
    0x47, 0x00,                          // long-lived graceful restart (71), not interpreted
});

inline const Bytes bird_update_v4 = msg({
    0x00, 0x52,                                // length 82
    0x02,                                      // type UPDATE
    0x00, 0x00,                                // withdrawn routes length 0
    0x00, 0x32,                                // total path attribute length 50
    0x40, 0x01, 0x01, 0x00,                    // ORIGIN IGP
    0x40, 0x02, 0x00,                          // AS_PATH empty (iBGP)
    0x40, 0x03, 0x04, 0x0a, 0x63, 0x3d, 0x01,  // NEXT_HOP 10.99.61.1
    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x05,  // MED 5
    0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0x64,  // LOCAL_PREF 100
    0xc0, 0x08, 0x04, 0xfc, 0x00, 0x00, 0x64,  // COMMUNITIES 64512:100
    0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfc, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,  // LARGE 64512:1:2
    0x18, 0xc6, 0x33, 0x64,                    // NLRI 198.51.100.0/24
    0x19, 0xcb, 0x00, 0x71, 0x80,              // NLRI 203.0.113.128/25
});

// BIRD uses the extended-length flag on a 44-byte MP_REACH_NLRI and sends a 32-byte next hop
// (global + link-local).
inline const Bytes bird_update_v6 = msg({
    0x00, 0x72,              // length 114
    0x02,                    // type UPDATE
    0x00, 0x00,              // withdrawn routes length 0
    0x00, 0x5b,              // total path attribute length 91
    0x90, 0x0e, 0x00, 0x2c,  // MP_REACH_NLRI, flags optional + extended length, length 44
    0x00, 0x02, 0x01,        //   AFI 2, SAFI 1
    0x20,                    //   next hop length 32
    0xfd, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x61,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // fd99:0:0:61::1
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xac, 0xe7, 0xcd, 0xff, 0xfe, 0x42, 0x1a, 0x3e,  // fe80::ace7:cdff:fe42:1a3e
    0x00,                                            //   reserved
    0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x77,        //   NLRI 2001:db8:77::/48
    0x40, 0x01, 0x01, 0x00,                          // ORIGIN IGP
    0x40, 0x02, 0x00,                                // AS_PATH empty
    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x05,        // MED 5
    0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0x64,        // LOCAL_PREF 100
    0xc0, 0x08, 0x04, 0xfc, 0x00, 0x00, 0x64,        // COMMUNITIES 64512:100
    0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfc, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,  // LARGE 64512:1:2
});
// BIRD's End-of-RIB markers were byte-identical to end_of_rib_v4 / end_of_rib_v6 above.

}  // namespace vipd::bgp::golden
