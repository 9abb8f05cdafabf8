/* The subset of HBase's Thrift2 interface (service THBaseService) that
 * jobleader calls. Field ids, types, enum values and method names must
 * match the server's own definition, because those travel on the wire.
 * That definition is hbase.thrift in apache/hbase under
 * hbase-thrift/src/main/resources/org/apache/hadoop/hbase/thrift2/.
 * Fields left out here are skipped by the generated readers when a server
 * sends them.
 *
 * After editing, run `ninja -C BUILDDIR regen-thrift` and commit gen-c_glib/.
 */

namespace c_glib Hb

struct TColumn {
  1: required binary family,
  2: optional binary qualifier
}

struct TColumnValue {
  1: required binary family,
  2: required binary qualifier,
  3: required binary value,
  4: optional i64 timestamp
}

/* The server leaves row unset and columnValues empty when the row does not
 * exist. */
struct TResult {
  1: optional binary row,
  2: required list<TColumnValue> columnValues
}

struct TGet {
  1: required binary row,
  2: optional list<TColumn> columns,
  5: optional i32 maxVersions
}

struct TPut {
  1: required binary row,
  2: required list<TColumnValue> columnValues
}

/* The server's union also has 2: TDelete deleteSingle, which jobleader
 * never sends. */
union TMutation {
  1: TPut put
}

struct TRowMutations {
  1: required binary row,
  2: required list<TMutation> mutations
}

/* checkAndMutate compares as "sent value OP stored value". */
enum TCompareOperator {
  LESS = 0,
  LESS_OR_EQUAL = 1,
  EQUAL = 2,
  NOT_EQUAL = 3,
  GREATER_OR_EQUAL = 4,
  GREATER = 5,
  NO_OP = 6
}

struct TTableName {
  1: optional binary ns,
  2: required binary qualifier
}

struct TColumnFamilyDescriptor {
  1: required binary name,
  10: optional i32 maxVersions
}

struct TTableDescriptor {
  1: required TTableName tableName,
  2: optional list<TColumnFamilyDescriptor> columns
}

exception TIOError {
  1: optional string message
}

exception TIllegalArgument {
  1: optional string message
}

enum TThriftServerType {
  ONE = 1,
  TWO = 2
}

service THBaseService {
  TResult get(1: required binary table, 2: required TGet tget)
    throws (1: TIOError io)

  /* An empty value matches only an absent cell. */
  bool checkAndMutate(1: required binary table,
                      2: required binary row,
                      3: required binary family,
                      4: required binary qualifier,
                      5: required TCompareOperator compareOperator,
                      6: binary value,
                      7: required TRowMutations rowMutations)
    throws (1: TIOError io)

  bool tableExists(1: TTableName tableName) throws (1: TIOError io)

  /* The server's argument 2, splitKeys, is never sent, so the table starts
   * with one region. */
  void createTable(1: required TTableDescriptor desc) throws (1: TIOError io)

  /* Used by the integration tests to drop their tables. */
  void disableTable(1: required TTableName tableName) throws (1: TIOError io)

  void deleteTable(1: required TTableName tableName) throws (1: TIOError io)

  /* Thrift1 servers have a method of the same name, so this is a safe probe
   * of which gateway answers. */
  TThriftServerType getThriftServerType()
}
