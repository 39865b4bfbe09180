#include "vipd/pool/state_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pool/model_builder.hpp"
#include "pool/temp_dir.hpp"

namespace vipd::pool {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ip;
using ::testing::IsEmpty;
using testing::make_pool;
using testing::make_service;
namespace fs = std::filesystem;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

State sample_state() {
  State s;
  s.allocations["api"] = ip("192.168.10.1");
  s.allocations["web6"] = ip("fd00:20::100");
  return s;
}

TEST(StateStore, MissingFileIsAnEmptyStateWithoutWarning) {
  testing::TempDir dir;
  const auto loaded = StateStore(dir.path() + "/never-created").load();
  EXPECT_THAT(loaded.state.allocations, IsEmpty());
  EXPECT_THAT(loaded.warnings, IsEmpty());
}

TEST(StateStore, SaveThenLoadRoundTripsAndLeavesNoTempFiles) {
  testing::TempDir dir;
  const std::string state_dir = dir.path() + "/var/lib/vipd";  // created on demand
  StateStore store(state_dir);
  EXPECT_EQ(store.path(), state_dir + "/allocations.json");
  const auto saved = store.save(sample_state());
  ASSERT_TRUE(saved.ok()) << saved.error();
  EXPECT_EQ(read_file(store.path()),
            "{\n  \"allocations\": {\n    \"api\": \"192.168.10.1\",\n    \"web6\": \"fd00:20::100\"\n  },\n"
            "  \"version\": 1\n}\n");
  const auto loaded = store.load();
  EXPECT_THAT(loaded.warnings, IsEmpty());
  EXPECT_EQ(loaded.state, sample_state());

  // Overwrite: the new content replaces the old, and only the one file remains.
  State smaller;
  smaller.allocations["only"] = ip("10.0.0.1");
  ASSERT_TRUE(store.save(smaller).ok());
  EXPECT_EQ(store.load().state, smaller);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(state_dir)) names.push_back(e.path().filename().string());
  EXPECT_THAT(names, ElementsAre("allocations.json"));
  EXPECT_EQ(fs::status(store.path()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

TEST(StateStore, CorruptFileIsReportedAndRebuiltByTheNextSave) {
  testing::TempDir dir;
  StateStore store(dir.path());
  write_file(store.path(), "{\"version\": 1, \"allocations\": {\"api\": \"192.168.10.1\"");  // truncated
  const auto loaded = store.load();
  EXPECT_THAT(loaded.state.allocations, IsEmpty());
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_EQ(loaded.warnings[0],
            "state file " + store.path() +
                " is corrupt (not valid JSON); starting without previous allocations (the "
                "file will be rebuilt)");

  // The daemon's path: allocate from the empty state, save, and the file is healthy again.
  config::Model m;
  m.pools.push_back(make_pool("p", {"10.0.0.0/29"}));
  m.services.push_back(make_service("api", "p"));
  const auto r = allocate(m, loaded.state);
  ASSERT_TRUE(store.save(r.state).ok());
  const auto again = store.load();
  EXPECT_THAT(again.warnings, IsEmpty());
  EXPECT_EQ(again.state.allocations.at("api"), ip("10.0.0.0"));
}

TEST(StateStore, WrongShapesAreCorrupt) {
  testing::TempDir dir;
  StateStore store(dir.path());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not valid JSON"},
      {"\x00\xff\xfe garbage", "not valid JSON"},
      {"[1, 2]", "expected a JSON object"},
      {"{\"allocations\": {}}", "expected \"version\": 1"},
      {"{\"version\": 2, \"allocations\": {}}", "expected \"version\": 1"},
      {"{\"version\": \"1\", \"allocations\": {}}", "expected \"version\": 1"},
      {"{\"version\": 1, \"allocations\": [\"a\"]}", "expected an \"allocations\" object"},
      {"{\"version\": 1}", "expected an \"allocations\" object"},
  };
  for (const auto& [text, why] : cases) {
    write_file(store.path(), text);
    const auto loaded = store.load();
    EXPECT_THAT(loaded.state.allocations, IsEmpty()) << text;
    ASSERT_EQ(loaded.warnings.size(), 1u) << text;
    EXPECT_THAT(loaded.warnings[0], HasSubstr("is corrupt (" + why + ")")) << text;
  }
}

TEST(StateStore, BadEntriesAreDroppedOneByOne) {
  testing::TempDir dir;
  StateStore store(dir.path());
  write_file(store.path(),
             R"({"version": 1, "allocations": {"good": "10.0.0.1", "bad": "10.0.0.300", "num": 7,
                 "v6": "fd00::1", "": "10.0.0.2"}})");
  const auto loaded = store.load();
  EXPECT_EQ(loaded.state.allocations,
            (std::map<std::string, net::IpAddress>{{"good", ip("10.0.0.1")}, {"v6", ip("fd00::1")}}));
  ASSERT_EQ(loaded.warnings.size(), 3u);
  EXPECT_THAT(loaded.warnings[0],
              HasSubstr("entry \"\": \"10.0.0.2\" is not a service name and an IP address"));
  EXPECT_THAT(loaded.warnings[1], HasSubstr("entry \"bad\": \"10.0.0.300\""));
  EXPECT_THAT(loaded.warnings[2], HasSubstr("entry \"num\": a JSON number"));
}

TEST(StateStore, FormatAndParseAreInverse) {
  const auto text = format_state(sample_state());
  const auto parsed = parse_state(text, "mem");
  EXPECT_THAT(parsed.warnings, IsEmpty());
  EXPECT_EQ(parsed.state, sample_state());
  EXPECT_EQ(format_state(State{}), "{\n  \"allocations\": {},\n  \"version\": 1\n}\n");
  // Deep nesting in an entry is reported, not recursed into.
  const std::string deep =
      "{\"version\": 1, \"allocations\": {\"x\": " + std::string(10000, '[') + std::string(10000, ']') + "}}";
  const auto nested = parse_state(deep, "mem");
  ASSERT_EQ(nested.warnings.size(), 1u);
  EXPECT_THAT(nested.warnings[0], HasSubstr("entry \"x\": a JSON array is not"));
}

TEST(StateStore, UnreadableFileIsAWarningNotACrash) {
  testing::TempDir dir;
  StateStore store(dir.path());
  fs::create_directory(store.path());  // a directory where the file should be: read fails (EISDIR)
  const auto loaded = store.load();
  EXPECT_THAT(loaded.state.allocations, IsEmpty());
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_THAT(loaded.warnings[0], HasSubstr("cannot read state file " + store.path()));
}

TEST(StateStore, SaveErrorsNameThePath) {
  testing::TempDir dir;
  write_file(dir.path() + "/file", "x");
  const auto under_file = StateStore(dir.path() + "/file/sub").save(sample_state());
  ASSERT_FALSE(under_file.ok());
  EXPECT_THAT(under_file.error(), HasSubstr("cannot create state directory " + dir.path() + "/file/sub"));

  StateStore store(dir.path());
  fs::create_directory(store.path());
  write_file(store.path() + "/keep", "x");  // rename over a non-empty directory fails
  const auto blocked = store.save(sample_state());
  ASSERT_FALSE(blocked.ok());
  EXPECT_THAT(blocked.error(), HasSubstr("cannot rename to " + store.path()));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("allocations.json", "file"));  // temp file cleaned up
}

}  // namespace
}  // namespace vipd::pool
