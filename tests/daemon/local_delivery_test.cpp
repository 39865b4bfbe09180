// Local delivery: the pure parts (address diff, sysctl policy, the record file format) and the
// sysctl save/restore logic against a fake /proc/sys in a temporary directory. Adding addresses
// through netlink is covered by tests/integration/local_delivery_test.cpp (needs root).
#include "vipd/daemon/local_delivery.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pool/temp_dir.hpp"

namespace vipd::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

// ---- diff ----

TEST(LocalDeliveryDiff, AddsMissingAndRemovesReleased) {
  const auto d = diff_addresses({ip("10.0.0.1"), ip("10.0.0.2"), ip("fd00::1")},
                                {ip("fd00::2"), ip("10.0.0.2"), ip("10.0.0.3")});
  EXPECT_THAT(d.add, ElementsAre(ip("10.0.0.3"), ip("fd00::2")));
  EXPECT_THAT(d.remove, ElementsAre(ip("10.0.0.1"), ip("fd00::1")));
  EXPECT_FALSE(d.empty());
}

TEST(LocalDeliveryDiff, SameSetInAnyOrderWithDuplicatesIsEmpty) {
  const auto d =
      diff_addresses({ip("10.0.0.2"), ip("10.0.0.1")}, {ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.1")});
  EXPECT_TRUE(d.empty());
}

TEST(LocalDeliveryDiff, FromAndToNothing) {
  EXPECT_THAT(diff_addresses({}, {ip("10.0.0.1")}).add, ElementsAre(ip("10.0.0.1")));
  EXPECT_THAT(diff_addresses({ip("10.0.0.1")}, {}).remove, ElementsAre(ip("10.0.0.1")));
  EXPECT_TRUE(diff_addresses({}, {}).empty());
}

TEST(LocalDeliveryDiff, SameValueDifferentFamilyIsDifferent) {
  // 0.0.0.1 and ::1 share a numeric value; they are different addresses.
  const auto d = diff_addresses({ip("0.0.0.1")}, {ip("::1")});
  EXPECT_THAT(d.add, ElementsAre(ip("::1")));
  EXPECT_THAT(d.remove, ElementsAre(ip("0.0.0.1")));
}

// ---- sysctl policy ----

TEST(LocalDeliverySysctl, ArpIgnoreValuesThatAlreadyHideLoAddresses) {
  const std::string p = "net/ipv4/conf/all/arp_ignore";
  EXPECT_TRUE(sysctl_already_strict(p, "1", "1"));
  EXPECT_TRUE(sysctl_already_strict(p, "2", "1"));
  EXPECT_TRUE(sysctl_already_strict(p, "8", "1"));
  EXPECT_FALSE(sysctl_already_strict(p, "0", "1"));
  EXPECT_FALSE(sysctl_already_strict(p, "3", "1"));  // still answers for scope-global addresses
}

TEST(LocalDeliverySysctl, ArpAnnounceOnlyTwo) {
  const std::string p = "net/ipv4/conf/all/arp_announce";
  EXPECT_TRUE(sysctl_already_strict(p, "2", "2"));
  EXPECT_FALSE(sysctl_already_strict(p, "0", "2"));
  EXPECT_FALSE(sysctl_already_strict(p, "1", "2"));
}

// ---- record file ----

TEST(LocalDeliveryRecordFile, GoldenFormat) {
  LocalDeliveryRecord r;
  r.link = "lo";
  r.addresses = {ip("fd00:20::100"), ip("192.168.20.100")};  // written sorted: IPv4 first
  r.sysctls = {{"net/ipv4/conf/all/arp_ignore", "0"}};
  EXPECT_EQ(format_local_delivery_record(r),
            "{\n"
            "  \"addresses\": [\n"
            "    \"192.168.20.100\",\n"
            "    \"fd00:20::100\"\n"
            "  ],\n"
            "  \"link\": \"lo\",\n"
            "  \"sysctls\": {\n"
            "    \"net/ipv4/conf/all/arp_ignore\": \"0\"\n"
            "  },\n"
            "  \"version\": 1\n"
            "}\n");
}

TEST(LocalDeliveryRecordFile, RoundTrip) {
  LocalDeliveryRecord r;
  r.link = "vip0";
  r.addresses = {ip("10.1.2.3"), ip("2001:db8::5")};
  r.sysctls = {{"net/ipv4/conf/all/arp_ignore", "0"}, {"net/ipv4/conf/all/arp_announce", "1"}};
  const auto parsed = parse_local_delivery_record(format_local_delivery_record(r), "f");
  EXPECT_THAT(parsed.warnings, IsEmpty());
  EXPECT_EQ(parsed.record, r);
}

TEST(LocalDeliveryRecordFile, MinimalFileWithoutOptionalKeys) {
  const auto parsed = parse_local_delivery_record(R"({"version": 1, "link": "lo"})", "f");
  EXPECT_THAT(parsed.warnings, IsEmpty());
  EXPECT_EQ(parsed.record.link, "lo");
  EXPECT_TRUE(parsed.record.empty());
}

TEST(LocalDeliveryRecordFile, CorruptFilesGiveAnEmptyRecordAndOneWarning) {
  const char* cases[] = {
      "",                                                          // empty
      "{\"version\": 1, \"link\": \"lo\"",                         // truncated
      "[1, 2]",                                                    // not an object
      R"({"version": 2, "link": "lo"})",                           // unknown version
      R"({"link": "lo"})",                                         // no version
      R"({"version": 1})",                                         // no link
      R"({"version": 1, "link": ""})",                             // empty link
      R"({"version": 1, "link": "a-name-longer-than-ifnamsiz"})",  // not a link name
      R"({"version": 1, "link": "lo", "addresses": "10.0.0.1"})",  // not an array
      R"({"version": 1, "link": "lo", "sysctls": []})",            // not an object
  };
  for (const char* text : cases) {
    const auto parsed = parse_local_delivery_record(text, "/var/lib/vipd/local-delivery.json");
    EXPECT_TRUE(parsed.record.empty()) << text;
    ASSERT_EQ(parsed.warnings.size(), 1u) << text;
    EXPECT_THAT(parsed.warnings[0], HasSubstr("/var/lib/vipd/local-delivery.json is corrupt")) << text;
  }
}

TEST(LocalDeliveryRecordFile, BadEntriesAreDroppedOneByOne) {
  const auto parsed = parse_local_delivery_record(
      R"({"version": 1, "link": "lo",
          "addresses": ["10.0.0.1", "10.0.0.300", 7, "fd00::1", "10.0.0.1"],
          "sysctls": {"net/ipv4/conf/all/arp_ignore": "0",
                      "kernel/core_pattern": "0",
                      "net/ipv4/conf/all/arp_announce": "|/tmp/x"}})",
      "f");
  EXPECT_THAT(parsed.record.addresses, ElementsAre(ip("10.0.0.1"), ip("fd00::1")));
  // Only the sysctls vipd sets, with numeric values: the file cannot steer other kernel settings.
  EXPECT_EQ(parsed.record.sysctls,
            (std::map<std::string, std::string>{{"net/ipv4/conf/all/arp_ignore", "0"}}));
  ASSERT_EQ(parsed.warnings.size(), 4u);
  EXPECT_THAT(parsed.warnings[0], HasSubstr("\"10.0.0.300\" is not an IP address"));
  EXPECT_THAT(parsed.warnings[1], HasSubstr("a JSON number is not an IP address"));
}

// ---- sysctl save/restore against a fake /proc/sys ----

class LocalDeliverySysctls : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(proc_ + "/net/ipv4/conf/all");
    write("net/ipv4/conf/all/arp_ignore", "0\n");
    write("net/ipv4/conf/all/arp_announce", "0\n");
  }
  void write(const std::string& rel, const std::string& text) { std::ofstream(proc_ + "/" + rel) << text; }
  std::string read(const std::string& rel) {
    std::ifstream in(proc_ + "/" + rel);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string ignore() { return read("net/ipv4/conf/all/arp_ignore"); }
  std::string announce() { return read("net/ipv4/conf/all/arp_announce"); }
  bool record_exists() { return std::filesystem::exists(state_.path() + "/local-delivery.json"); }
  LocalDeliveryRecord record() {
    std::ifstream in(state_.path() + "/local-delivery.json");
    std::stringstream s;
    s << in.rdbuf();
    auto parsed = parse_local_delivery_record(s.str(), "test");
    EXPECT_THAT(parsed.warnings, IsEmpty());
    return parsed.record;
  }
  static config::LocalDelivery on() { return {true, "lo"}; }
  static config::LocalDelivery off() { return {false, "lo"}; }

  pool::testing::TempDir root_;
  pool::testing::TempDir state_;
  std::string proc_ = root_.path() + "/proc/sys";
};

TEST_F(LocalDeliverySysctls, SetWhileOnRestoredOnStop) {
  LocalDelivery ld(on(), state_.path(), proc_);
  ASSERT_TRUE(ld.start()) << "start failed";
  EXPECT_TRUE(ld.active());
  EXPECT_EQ(ignore(), "1\n");
  EXPECT_EQ(announce(), "2\n");
  // The originals are on disk before anything changes, for a restart after a crash.
  EXPECT_EQ(record().sysctls, (std::map<std::string, std::string>{{"net/ipv4/conf/all/arp_ignore", "0"},
                                                                  {"net/ipv4/conf/all/arp_announce", "0"}}));
  EXPECT_TRUE(ld.apply({}).ok());  // nothing owned: no netlink needed
  ld.stop();
  EXPECT_FALSE(ld.active());
  EXPECT_EQ(ignore(), "0\n");
  EXPECT_EQ(announce(), "0\n");
  EXPECT_FALSE(record_exists());
}

TEST_F(LocalDeliverySysctls, DestructorRestores) {
  write("net/ipv4/conf/all/arp_announce", "1\n");
  {
    LocalDelivery ld(on(), state_.path(), proc_);
    ASSERT_TRUE(ld.start());
    EXPECT_EQ(announce(), "2\n");
  }
  EXPECT_EQ(ignore(), "0\n");
  EXPECT_EQ(announce(), "1\n");
}

TEST_F(LocalDeliverySysctls, StricterOperatorValueIsLeftAndNotRecorded) {
  write("net/ipv4/conf/all/arp_ignore", "2\n");
  LocalDelivery ld(on(), state_.path(), proc_);
  ASSERT_TRUE(ld.start());
  EXPECT_EQ(ignore(), "2\n");
  EXPECT_EQ(record().sysctls.count("net/ipv4/conf/all/arp_ignore"), 0u);
  ld.stop();
  EXPECT_EQ(ignore(), "2\n");
  EXPECT_EQ(announce(), "0\n");
}

TEST_F(LocalDeliverySysctls, AfterACrashTheRecordedOriginalsAreRestoredNotVipdsValues) {
  // A previous run set 1/2 and died: the running values are vipd's, the file holds the originals.
  write("net/ipv4/conf/all/arp_ignore", "1\n");
  write("net/ipv4/conf/all/arp_announce", "2\n");
  std::ofstream(state_.path() + "/local-delivery.json") << R"({"version": 1, "link": "lo", "addresses": [],
             "sysctls": {"net/ipv4/conf/all/arp_ignore": "0", "net/ipv4/conf/all/arp_announce": "1"}})";
  LocalDelivery ld(on(), state_.path(), proc_);
  ASSERT_TRUE(ld.start());
  EXPECT_EQ(record().sysctls.at("net/ipv4/conf/all/arp_ignore"), "0");
  EXPECT_EQ(record().sysctls.at("net/ipv4/conf/all/arp_announce"), "1");
  ld.stop();
  EXPECT_EQ(ignore(), "0\n");
  EXPECT_EQ(announce(), "1\n");
}

TEST_F(LocalDeliverySysctls, DisabledStartStillRestoresWhatACrashedRunLeft) {
  write("net/ipv4/conf/all/arp_ignore", "1\n");
  std::ofstream(state_.path() + "/local-delivery.json")
      << R"({"version": 1, "link": "lo", "sysctls": {"net/ipv4/conf/all/arp_ignore": "0"}})";
  LocalDelivery ld(off(), state_.path(), proc_);
  ASSERT_TRUE(ld.start());
  EXPECT_FALSE(ld.active());
  EXPECT_EQ(ignore(), "0\n");
  EXPECT_FALSE(record_exists());
  EXPECT_TRUE(ld.apply({ip("10.0.0.1")}).ok());  // disabled: nothing to do
  EXPECT_THAT(ld.added(), IsEmpty());
}

TEST_F(LocalDeliverySysctls, DisabledTouchesNothing) {
  write("net/ipv4/conf/all/arp_ignore", "0\n");
  LocalDelivery ld(off(), state_.path(), proc_);
  ASSERT_TRUE(ld.start());
  ld.stop();
  EXPECT_EQ(ignore(), "0\n");
  EXPECT_EQ(announce(), "0\n");
  EXPECT_FALSE(record_exists());
}

TEST_F(LocalDeliverySysctls, OperatorChangeWhileRunningWins) {
  LocalDelivery ld(on(), state_.path(), proc_);
  ASSERT_TRUE(ld.start());
  write("net/ipv4/conf/all/arp_ignore", "8\n");  // operator: no ARP replies at all
  ld.stop();
  EXPECT_EQ(ignore(), "8\n");
  EXPECT_EQ(announce(), "0\n");
}

TEST_F(LocalDeliverySysctls, UnwritableSysctlFailsStartAndApplyRefuses) {
  std::filesystem::remove_all(proc_);  // like ProtectKernelTunables= without ReadWritePaths=
  LocalDelivery ld(on(), state_.path(), proc_);
  const auto started = ld.start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error(), HasSubstr("net.ipv4.conf.all.arp_ignore"));
  EXPECT_FALSE(ld.active());
  const auto applied = ld.apply({ip("10.0.0.1")});
  ASSERT_FALSE(applied.ok());
  EXPECT_THAT(applied.error(), HasSubstr("not active"));
}

TEST_F(LocalDeliverySysctls, ReconfigureOffRestoresAndOnSetsAgain) {
  LocalDelivery ld(on(), state_.path(), proc_);
  ASSERT_TRUE(ld.start());
  ASSERT_TRUE(ld.reconfigure(off(), {}).ok());
  EXPECT_FALSE(ld.active());
  EXPECT_EQ(ignore(), "0\n");
  EXPECT_EQ(announce(), "0\n");
  EXPECT_FALSE(record_exists());
  ASSERT_TRUE(ld.reconfigure(on(), {}).ok());
  EXPECT_TRUE(ld.active());
  EXPECT_EQ(ignore(), "1\n");
  EXPECT_EQ(announce(), "2\n");
}

}  // namespace
}  // namespace vipd::daemon
