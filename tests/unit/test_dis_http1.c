/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests of the http1 dissector (being written). */
#include "config.h"

#include "dissect/dissect.h"

#include "t.h"

TEST(registered)
{
    T_TRUE(dsx_find("http1") == &dsx_http1);
}

T_MAIN(T_CASE(registered))
