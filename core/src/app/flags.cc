// The CLI11 adapter: the only file that includes CLI11. Its exceptions end here.
#include "neuropart/app/flags.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

#ifndef NEUROPART_VERSION
#error "NEUROPART_VERSION must be defined by the build"
#endif

namespace neuropart {

namespace {

template <typename T>
void AddOption(CLI::App& app, const std::string& names, T* out, const std::string& help,
               const char* env) {
  CLI::Option* option = app.add_option(names, *out, help)->capture_default_str();
  if (env != nullptr) option->envname(env);
}

}  // namespace

std::string VersionLine() { return std::string("neuropart ") + NEUROPART_VERSION; }

Flags::Flags(std::string program, std::string about)
    : app_(std::make_unique<CLI::App>(std::move(about) + "\n", std::move(program))) {
  app_->set_version_flag("--version", VersionLine());
  app_->get_formatter()->column_width(34);
}

Flags::~Flags() = default;

void Flags::String(const std::string& names, std::string* out, const std::string& help,
                   const char* env) {
  AddOption(*app_, names, out, help, env);
}

void Flags::Int(const std::string& names, int64_t* out, const std::string& help,
                const char* env) {
  AddOption(*app_, names, out, help, env);
}

void Flags::Int(const std::string& names, int* out, const std::string& help, const char* env) {
  AddOption(*app_, names, out, help, env);
}

void Flags::Bool(const std::string& names, bool* out, const std::string& help) {
  app_->add_flag(names, *out, help);
}

void Flags::Positional(const std::string& name, std::string* out, const std::string& help) {
  app_->add_option(name, *out, help)->required();
}

void Flags::Footer(const std::string& text) { app_->footer(text); }

Status Flags::Parse(const std::vector<std::string>& args) {
  // CLI11 pops arguments from the back. It reads "--name=" as "--name" without a value (and
  // would take the next argument); an explicitly empty value is passed as its own argument.
  std::vector<std::string> reversed;
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    if (it->size() > 3 && it->rfind("--", 0) == 0 && it->back() == '=') {
      reversed.push_back("");
      reversed.push_back(it->substr(0, it->size() - 1));
    } else {
      reversed.push_back(*it);
    }
  }
  try {
    app_->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    help_requested_ = true;
  } catch (const CLI::CallForVersion&) {
    version_requested_ = true;
  } catch (const CLI::ParseError& e) {
    return InvalidArgumentError(e.what());
  } catch (const CLI::Error& e) {
    return InternalError(std::string("command line: ") + e.what());
  }
  return Status::Ok();
}

std::optional<int> Flags::ParseOrExit(const std::vector<std::string>& args) {
  if (Status s = Parse(args); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n\n%s", app_->get_name().c_str(), s.message().c_str(),
                 Help().c_str());
    return kExitBadInput;
  }
  if (help_requested_) {
    std::fputs(Help().c_str(), stdout);
    return kExitOk;
  }
  if (version_requested_) {
    std::printf("%s\n", VersionLine().c_str());
    return kExitOk;
  }
  return std::nullopt;
}

bool Flags::IsSet(const std::string& name) const { return app_->count(name) > 0; }

std::string Flags::Help() const { return app_->help(); }

}  // namespace neuropart
