/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests of the tls dissector (being written). */
#include "config.h"

#include "dissect/dissect.h"

#include "t.h"

TEST(registered)
{
    T_TRUE(dsx_find("tls") == &dsx_tls);
}

T_MAIN(T_CASE(registered))
