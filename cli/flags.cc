#include "flags.h"

#include <charconv>

namespace neuropart::cli {

void Flags::Value(const std::string& name, const std::string& fallback, const std::string& help) {
  order_.push_back(name);
  specs_[name] = {true, fallback, help};
  values_[name] = fallback;
}

void Flags::Bool(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = {false, "", help};
  values_[name] = "";
}

Status Flags::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto it = specs_.find(name);
    if (it == specs_.end()) return InvalidArgumentError("unknown flag --" + name);
    if (it->second.takes_value && !inline_value) {
      if (i + 1 == args.size()) return InvalidArgumentError("flag --" + name + " needs a value");
      value = args[++i];
    }
    if (!it->second.takes_value && inline_value) {
      return InvalidArgumentError("flag --" + name + " takes no value");
    }
    values_[name] = it->second.takes_value ? value : "true";
    set_[name] = true;
  }
  return Status::Ok();
}

StatusOr<int64_t> Flags::GetInt(const std::string& name) const {
  const std::string& s = Get(name);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    return InvalidArgumentError("flag --" + name + ": want an integer, got \"" + s + "\"");
  }
  return v;
}

std::string Flags::Help() const {
  std::string out;
  for (const std::string& name : order_) {
    const Spec& s = specs_.at(name);
    std::string left = "  --" + name + (s.takes_value ? " VALUE" : "");
    left.resize(std::max<size_t>(left.size() + 2, 24), ' ');
    out += left + s.help;
    if (s.takes_value && !s.fallback.empty()) out += " (default: " + s.fallback + ")";
    out += "\n";
  }
  return out;
}

}  // namespace neuropart::cli
