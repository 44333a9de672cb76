#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_test_util.h"
#include "neuropart/data/dataset.h"

namespace neuropart {
namespace {

using ::neuropart::testing::ScratchDir;
using ::neuropart::testing::WriteRaw;

bool Contains(const Status& s, const std::string& part) {
  return s.message().find(part) != std::string::npos;
}

class CsvTest : public ::testing::Test {
 protected:
  StatusOr<Dataset> Load(const std::string& text, int label_column) {
    WriteRaw(path_, text);
    return LoadCsv(path_, label_column);
  }
  ScratchDir dir_;
  std::string path_ = dir_.File("data.csv");
};

TEST_F(CsvTest, LoadsFeaturesAndLabelFromAnyColumn) {
  StatusOr<Dataset> ds = Load("0.5,1,-2\n1.5,0,3e2\n", 1);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->size(), 2);
  EXPECT_EQ(ds->features(), 2);
  EXPECT_EQ(ds->labels, std::vector<int32_t>({1, 0}));
  EXPECT_EQ(ds->num_classes, 2);
  EXPECT_FLOAT_EQ(ds->x(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(ds->x(0, 1), -2.0f);
  EXPECT_FLOAT_EQ(ds->x(1, 1), 300.0f);
}

TEST_F(CsvTest, SkipsHeaderBlankLinesAndCarriageReturns) {
  StatusOr<Dataset> ds = Load("label,f1,f2\r\n7, 1.0 ,2\r\n\r\n  \n3,4,5", 0);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->size(), 2);
  EXPECT_EQ(ds->labels, std::vector<int32_t>({7, 3}));
  EXPECT_EQ(ds->num_classes, 8);
  EXPECT_FLOAT_EQ(ds->x(1, 1), 5.0f);
}

TEST_F(CsvTest, NumericFirstLineIsData) {
  StatusOr<Dataset> ds = Load("1,2\n0,4\n", 0);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->size(), 2);
}

TEST_F(CsvTest, BadCellNamesLineAndColumn) {
  StatusOr<Dataset> ds = Load("y,a,b\n1,2,3\n0,4,oops\n", 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(ds.status(), path_ + ": line 3, column 3: cannot parse \"oops\""))
      << ds.status().ToString();
}

TEST_F(CsvTest, SecondNonNumericLineIsAnErrorNotAHeader) {
  StatusOr<Dataset> ds = Load("a,b\nc,d\n1,2\n", 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "line 2, column 1")) << ds.status().ToString();
}

TEST_F(CsvTest, EmptyCellAndNonFiniteValuesAreRejected) {
  EXPECT_TRUE(Contains(Load("1,2\n1,\n", 0).status(), "line 2, column 2"));
  EXPECT_TRUE(Contains(Load("1,2\n1,nan\n", 0).status(), "line 2, column 2"));
  EXPECT_TRUE(Contains(Load("1,2\n1,inf\n", 0).status(), "line 2, column 2"));
  EXPECT_TRUE(Contains(Load("1,2\n1,2x\n", 0).status(), "line 2, column 2"));
}

// Found by csv_fuzzer (tests/fuzz/corpus/csv_fuzzer/regression-feature-beyond-float): a finite
// double that overflows float became an infinite feature.
TEST_F(CsvTest, FeatureBeyondTheRangeOfFloatIsRejected) {
  for (const char* bad : {"2e120", "-3.5e38"}) {
    StatusOr<Dataset> ds = ParseCsv(std::string("1,2\n1,") + bad + "\n", "data.csv", 0);
    ASSERT_FALSE(ds.ok()) << bad;
    EXPECT_TRUE(Contains(ds.status(), "data.csv: line 2, column 2: " + std::string(bad) +
                                          " is outside the range of a 32-bit float"))
        << ds.status().ToString();
  }
  StatusOr<Dataset> ds = ParseCsv("1,3.4e38\n", "data.csv", 0);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_FLOAT_EQ(ds->x(0, 0), 3.4e38f);
}

TEST_F(CsvTest, LabelMustBeANonNegativeInteger) {
  for (const char* bad : {"1.5", "-1", "1e12"}) {
    StatusOr<Dataset> ds = Load(std::string("0,1\n") + bad + ",2\n", 0);
    ASSERT_FALSE(ds.ok()) << bad;
    EXPECT_TRUE(Contains(ds.status(), "line 2, column 1: label")) << ds.status().ToString();
  }
  StatusOr<Dataset> ds = Load("2.0,1\n", 0);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->labels[0], 2);
}

TEST_F(CsvTest, RaggedLineNamesTheLine) {
  StatusOr<Dataset> ds = Load("1,2,3\n1,2\n", 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status(), "line 2: 2 columns, expected 3")) << ds.status().ToString();
}

TEST_F(CsvTest, LabelColumnOutOfRangeIsInvalidArgument) {
  for (int column : {3, -1}) {
    StatusOr<Dataset> ds = Load("h1,h2,h3\n1,2,3\n", column);
    ASSERT_FALSE(ds.ok());
    EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(
        ds.status(), "label column " + std::to_string(column) + " outside the 3 columns of line 2"))
        << ds.status().ToString();
  }
}

TEST_F(CsvTest, FileWithoutDataIsInvalidArgument) {
  EXPECT_EQ(Load("", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Load("a,b\n\n", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CsvTest, SingleColumnHasNoFeatures) {
  EXPECT_TRUE(Contains(Load("1\n2\n", 0).status(), "line 1: needs a label and at least one"));
}

TEST_F(CsvTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadCsv(dir_.File("absent.csv"), 0).status().code(), StatusCode::kNotFound);
}

class CsvRowsTest : public CsvTest {
 protected:
  StatusOr<MatrixF> Rows(const std::string& text) {
    WriteRaw(path_, text);
    return LoadCsvRows(path_, 3);
  }
};

TEST_F(CsvRowsTest, ReadsRowsWithEitherLineEnding) {
  for (const char* text : {"1,2,3\n4,5,6\n", "1,2,3\r\n4,5,6\r\n\r\n"}) {
    StatusOr<MatrixF> x = Rows(text);
    ASSERT_TRUE(x.ok()) << x.status().ToString();
    ASSERT_EQ(x->rows(), 2);
    EXPECT_FLOAT_EQ((*x)(1, 2), 6.0f);
  }
}

// A NaN or infinite input would come back as class 0 with NaN outputs, and exit 0.
TEST_F(CsvRowsTest, ANonFiniteValueIsRefusedNamingItsLineAndColumn) {
  for (const std::string cell : {"nan", "inf", "-inf", "1e999"}) {
    EXPECT_EQ(Rows("1,2,3\n4,5," + cell + "\n").status().message(),
              path_ + ":2: column 3 is not a finite number: \"" + cell + "\"");
  }
}

TEST_F(CsvRowsTest, ALineOfAnotherWidthIsRefused) {
  EXPECT_EQ(Rows("1,2,3\n4,5\n").status().message(),
            path_ + ":2: want 3 columns (spec.model.inputSize), got 2");
}

TEST_F(CsvRowsTest, NoRowsIsInvalidArgument) {
  for (const char* text : {"", "\n\r\n"}) {
    EXPECT_EQ(Rows(text).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(Rows(text).status().message(), path_ + ": no rows");
  }
}

}  // namespace
}  // namespace neuropart
