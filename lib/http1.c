/* placeholder: filled in by the HTTP/1.x parser work */
#include "http1.h"
