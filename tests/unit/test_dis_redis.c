/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests of the redis dissector (being written). */
#include "config.h"

#include "dissect/dissect.h"

#include "t.h"

TEST(registered)
{
    T_TRUE(dsx_find("redis") == &dsx_redis);
}

T_MAIN(T_CASE(registered))
