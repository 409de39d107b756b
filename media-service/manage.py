#!/usr/bin/env python
from cotask_common.entrypoints import manage

if __name__ == "__main__":
    manage()
