//go:build unix

package file

import "syscall"

// openFlags make an open refuse a symbolic link (O_NOFOLLOW: /tmp is
// everyone's, and a link could point at /dev/zero or at another user's
// file) and return at once on a named pipe with no writer (O_NONBLOCK);
// on a regular file O_NONBLOCK changes nothing.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
