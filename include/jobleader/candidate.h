/* Names and order of election nodes. They follow the rule of Kylin 3's
 * Curator LeaderSelector, so that mixed clusters agree on one leader. Nodes
 * are named "_c_<uuid>-lock-<10-digit sequence>". The sort key is the text
 * after the last "lock-", or the whole name when it has none, compared as
 * a string. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JL_CANDIDATE_LOCK_MARKER "lock-"

typedef struct {
  char *name;      /* node name, without the parent path */
  char *sort_key;  /* text after the last "lock-", or the whole name */
  char *uuid;      /* the "<uuid>" of "_c_<uuid>-lock-", or NULL */
  gboolean well_formed; /* name matches "_c_<uuid>-lock-<digits>" */
} JlCandidate;

/* Returns the prefix to pass to a sequential create: "_c_<uuid>-lock-". */
char *jl_candidate_prefix (const char *uuid);

/* Parses one child name and always returns a candidate. A foreign name
 * gets well_formed = FALSE and still sorts by the rule above. */
JlCandidate *jl_candidate_new (const char *name);
void jl_candidate_free (JlCandidate *candidate);

/* Returns the candidates of @names sorted leader first. The array owns its
 * elements. */
GPtrArray *jl_candidates_sort (const char *const *names, gsize count);

/* Returns the index of the candidate whose uuid is @uuid, or -1. */
gssize jl_candidates_find_uuid (GPtrArray *sorted, const char *uuid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlCandidate, jl_candidate_free)

G_END_DECLS
