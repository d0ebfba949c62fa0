/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests of the amqp dissector (being written). */
#include "config.h"

#include "dissect/dissect.h"

#include "t.h"

TEST(registered)
{
    T_TRUE(dsx_find("amqp") == &dsx_amqp);
}

T_MAIN(T_CASE(registered))
