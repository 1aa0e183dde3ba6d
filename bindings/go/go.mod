// SPDX-License-Identifier: LGPL-2.1-or-later
module tsmon

go 1.19
