#include "neuropart/yaml/yaml_reader.h"

#include <gtest/gtest.h>

namespace neuropart {
namespace {

TEST(YamlReaderTest, ReadsTypedFieldsAndRecordsTheirLines) {
  SourceMap source{"f.yaml", {}};
  StatusOr<YamlReader> root =
      YamlReader::Parse("name: np\nspec:\n  partitions: 3\n  ratio: 0.5\n  on: true\n", &source);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  std::string name;
  ASSERT_TRUE(root->Required("name", &name).ok());
  EXPECT_EQ(name, "np");
  YamlReader spec = root->Child("spec");
  int64_t partitions = 0;
  double ratio = 0;
  bool on = false;
  ASSERT_TRUE(spec.Required("partitions", &partitions).ok());
  ASSERT_TRUE(spec.Optional("ratio", &ratio).ok());
  ASSERT_TRUE(spec.Optional("on", &on).ok());
  EXPECT_EQ(partitions, 3);
  EXPECT_EQ(ratio, 0.5);
  EXPECT_TRUE(on);
  EXPECT_EQ(source.Locate("spec.partitions"), " (f.yaml:3)");
  // A map is located where its content starts.
  EXPECT_EQ(source.Locate("spec.missing"), " (f.yaml:3)");
}

TEST(YamlReaderTest, AMissingKeyIsNotInsertedAndReadsAsAbsent) {
  SourceMap source{"f.yaml", {}};
  StatusOr<YamlReader> root = YamlReader::Parse("a: 1\n", &source);
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(root->Has("b"));
  EXPECT_FALSE(root->Child("b").Has("c"));
  EXPECT_FALSE(root->Has("b"));
  EXPECT_TRUE(root->ExpectMap({"a"}).ok());
}

TEST(YamlReaderTest, ErrorsNameTheFieldPathAndLine) {
  SourceMap source{"f.yaml", {}};
  StatusOr<YamlReader> root = YamlReader::Parse("spec:\n  n: x\n  list: [1, two]\n", &source);
  ASSERT_TRUE(root.ok());
  int64_t n = 0;
  EXPECT_EQ(root->Child("spec").Optional("n", &n).message(),
            "spec.n: must be an integer, got \"x\" (f.yaml:2)");
  StatusOr<std::vector<YamlReader>> items = root->Child("spec").Child("list").Items();
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].AsInt().status().message(),
            "spec.list[1]: must be an integer, got \"two\" (f.yaml:3)");
  EXPECT_EQ(root->ExpectMap({"other"}).message(),
            "spec: unknown field (known: other) (f.yaml:1)");
  EXPECT_EQ(root->Required("name", &n).message(), "name: is required");
}

TEST(YamlReaderTest, MalformedAndEmptyTextAreInvalidArgumentsWithAPosition) {
  SourceMap source{"f.yaml", {}};
  EXPECT_EQ(YamlReader::Parse("a: [1, 2\n", &source).status().message().rfind("f.yaml:2:1: ", 0),
            0u);
  EXPECT_EQ(YamlReader::Parse("", &source).status().message(), "f.yaml: is empty");
  EXPECT_EQ(YamlReader::Parse("a: *nope\n", &source).status().code(),
            StatusCode::kInvalidArgument);
}

// yaml-cpp keeps both entries of a repeated key and reads the first: the second would be ignored.
TEST(YamlReaderTest, ADuplicateKeyIsRefusedAtItsSecondOccurrence) {
  SourceMap source{"f.yaml", {}};
  EXPECT_EQ(YamlReader::Parse("a: 1\nb:\n  c: 2\n  c: 3\n", &source).status().message(),
            "f.yaml:4:3: duplicate key \"c\" (first at line 3)");
  EXPECT_EQ(YamlReader::Parse("l:\n  - {x: 1, y: 2, x: 3}\n", &source).status().message(),
            "f.yaml:2:18: duplicate key \"x\" (first at line 2)");
  // The same map reached twice through an alias is not a duplicate.
  EXPECT_TRUE(YamlReader::Parse("a: &m {k: 1}\nb: *m\nc: [*m, *m]\n", &source).ok());
}

// Aliases share their node, so checking every map visits each one once: a "billion laughs"
// document costs its text, not its expansion.
TEST(YamlReaderTest, AnAliasBombIsCheckedInLinearTime) {
  std::string text = "l0: &l0 {a: 1, b: 2}\n";
  for (int i = 1; i < 40; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev + ", " + prev +
            ", " + prev + "]\n";
  }
  SourceMap source{"f.yaml", {}};
  EXPECT_TRUE(YamlReader::Parse(text, &source).ok());
}

}  // namespace
}  // namespace neuropart
