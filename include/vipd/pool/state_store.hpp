#pragma once
// The allocation state file in the state dir (<dir>/allocations.json):
//   {"version": 1, "allocations": {"api": "192.168.10.1", ...}}
// Written atomically (temp file in the same dir, fsync, rename, fsync dir) so a crash leaves either
// the old or the new file. A corrupt file is reported as warnings and treated as empty: the
// allocator then rebuilds it, never a crash.

#include <string>
#include <string_view>
#include <vector>

#include "vipd/common/result.hpp"
#include "vipd/pool/allocator.hpp"

namespace vipd::pool {

class StateStore {
 public:
  static constexpr const char* file_name = "allocations.json";

  explicit StateStore(std::string directory);

  struct Loaded {
    State state;
    std::vector<std::string> warnings;
  };
  // Missing file = empty state, no warning. Unreadable/corrupt file = empty state + one warning;
  // a bad entry = that entry dropped + one warning.
  Loaded load() const;
  // Creates the directory if needed. The error names the path and the system error.
  Result<void, std::string> save(const State& state) const;
  std::string path() const;

 private:
  std::string directory_;
};

// The file format without the I/O (the store uses these; the fuzzer and tests call them directly).
// parse_state never throws: anything unexpected becomes a warning naming `origin`.
StateStore::Loaded parse_state(std::string_view text, const std::string& origin);
std::string format_state(const State& state);  // pretty JSON, keys sorted, trailing newline

}  // namespace vipd::pool
