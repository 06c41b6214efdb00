// libyaml, from the system (Debian: libyaml-dev). keyway reads its event stream itself,
// so that every node keeps its position and aliases stay bounded.
#include <yaml.h>
