// RunConfig and RunStats (tb/run_config.h) as JSON: what `mmuvp run --config FILE.json` reads, what
// `mmuvp run --json FILE` writes (SPEC §9), and what `mmuvp eval` reads back from its child runs.
//
// Config JSON: one key per RunConfig field, named as the field, nested objects for the hardware
// structures ({"tlb": {"l2": {"entries": 512, "ways": 4}, ...}}); every key is optional (absent keys
// keep their value) and an unknown key or a value of the wrong type is an error naming the key's
// full path ("tlb.l2.ways"). Enumerations are the command-line spellings ("nested", "4k", "thp",
// "golden"); sizes may be numbers of bytes or size strings ("4g", "512MiB").
//
// Stats JSON: the SPEC §9 fields at the top level (the counters summed over cores, the derived
// ratios, host time), then "workload"/"workload_description", "config" (the config JSON) and
// "per_core" (one object of counters per core).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tb/run_config.h"

namespace mmuvp::tb {

using Json = nlohmann::ordered_json;

// A JSON document that does not describe a RunConfig/RunStats: what() is one line naming the key.
class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string_view to_string(WalkerKind w);                    // "golden", "tlm", "cycle", ...
std::optional<WalkerKind> parse_walker(std::string_view name);  // inverse, exact spelling

// A byte count: decimal digits with an optional binary-unit suffix k, m, g, t (any case, optionally
// followed by "b" or "ib": "4g", "512m", "1GiB", "64KB"), or plain bytes ("4096"). nullopt for
// anything else, including an empty string, a sign, a fraction, and a value above 2^64 - 1.
std::optional<std::uint64_t> parse_size(std::string_view text);
// The shortest exact spelling parse_size reads back: "1g", "512m", "4k", "1000".
std::string format_size(std::uint64_t bytes);

Json config_to_json(const RunConfig& config);
// Applies every key of `j` (an object) onto `config`; throws JsonError naming the first unknown key
// or ill-typed value. Values are checked for type and for the range of the field's C++ type only;
// validate_config checks what makes a configuration runnable.
void apply_config_json(const Json& j, RunConfig& config);
RunConfig config_from_json(const Json& j);

// Throws std::invalid_argument with one line naming the field (e.g. "cores must be in [1, 64]") for
// a configuration no walker can run: zero accesses/footprint/cores, walk slots outside [1, 16], and
// structure geometries their own validate() refuses.
void validate_config(const RunConfig& config);

Json core_stats_to_json(const CoreStats& s);
CoreStats core_stats_from_json(const Json& j);  // throws JsonError for a missing/ill-typed counter

Json stats_to_json(const RunStats& s);
RunStats stats_from_json(const Json& j);  // throws JsonError; ignores keys it does not know

}  // namespace mmuvp::tb
