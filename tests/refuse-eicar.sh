#!/bin/sh
# Stands in for a virus scanner such as clamdscan in the tests: exits 1 (refused) for a file
# holding the EICAR test string, 0 otherwise. pubcom adds the file's path as the last argument.
if grep -q 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' "$1"; then
    echo "$1: Eicar-Test-Signature FOUND"
    exit 1
fi
exit 0
