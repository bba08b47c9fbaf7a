/* mirrorpoolctl: the control client. */
#include "autoconfig.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "usage: mirrorpoolctl [-s SOCKET] [-c CONFIG] [--json] "
			"COMMAND [ARGS]\n");
	return 2;
}
