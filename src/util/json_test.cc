#include "util/json.h"

#include <gtest/gtest.h>

namespace custodian {

TEST(Json, NestedObjectsAndEscapes) {
  JsonWriter w;
  w.BeginObject().Field("a", int64_t(1)).Key("list").BeginArray().String("x\"y").Int(-2).EndArray();
  w.Field("ok", true).Key("n").Null().EndObject();
  EXPECT_EQ(w.str(), R"({"a":1,"list":["x\"y",-2],"ok":true,"n":null})");
}

TEST(Json, InvalidUtf8IsReplaced) {
  std::string out;
  AppendJsonString(&out, std::string("a\xff" "b\n\x01", 5));
  EXPECT_EQ(out, "\"a\xEF\xBF\xBD" "b\\n\\u0001\"");
}

}  // namespace custodian
