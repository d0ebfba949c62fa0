/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests of the http2 dissector (being written). */
#include "config.h"

#include "dissect/dissect.h"

#include "t.h"

TEST(registered)
{
    T_TRUE(dsx_find("http2") == &dsx_http2);
}

T_MAIN(T_CASE(registered))
