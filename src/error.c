#include "jobleader/error.h"

G_DEFINE_QUARK (jl-error-quark, jl_error)
