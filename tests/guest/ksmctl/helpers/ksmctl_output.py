# SPDX-License-Identifier: GPL-2.0-only
"""Checks of ksmctl output that the ksmctl tests share.

The tests (tests/guest/ksmctl/*.sh) write their own check.py, which
imports this module: lib.sh puts this directory on PYTHONPATH.  Every
check that fails prints "FAIL: <what>" to stderr and exits 1.
"""
import re
import sys


def die(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        die(msg)


def read(path):
    """The file as text, failing unless it is valid UTF-8."""
    data = open(path, 'rb').read()
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        die(f'{path} is not valid UTF-8: {e}')


NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
VALUE = re.compile(r'[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN')


def parse_prom(path):
    """Validate the text exposition format (0.0.4); return samples and types."""
    text = read(path)
    check(text.endswith('\n'), f'{path}: does not end with a newline')
    helps, types, families, samples = {}, {}, [], {}
    cur = None
    for n, line in enumerate(text.split('\n')[:-1], 1):
        where = f'{path}:{n}: {line!r}'
        check(line != '', f'{where}: empty line')
        if line.startswith('#'):
            m = re.fullmatch(r'# (HELP|TYPE) (\S+) (.*)', line)
            check(m, f'{where}: a comment other than HELP or TYPE')
            kind, name, rest = m.groups()
            check(NAME.fullmatch(name), f'{where}: bad metric name')
            if name != cur:
                check(name not in families, f'{where}: family {name} split')
                families.append(name)
                cur = name
            check(not any(k[0] == name for k in samples), f'{where}: {kind} after samples')
            if kind == 'HELP':
                check(name not in helps, f'{where}: second HELP')
                check(rest.strip() != '', f'{where}: empty HELP')
                check(re.fullmatch(r'(?:[^\\]|\\[\\n])*', rest), f'{where}: bad escape in HELP')
                helps[name] = rest
            else:
                check(name not in types, f'{where}: second TYPE')
                check(rest in ('counter', 'gauge', 'untyped', 'summary', 'histogram'),
                      f'{where}: unknown type')
                types[name] = rest
            continue
        m = NAME.match(line)
        check(m, f'{where}: no metric name')
        name, pos = m.group(0), m.end()
        check(name == cur, f'{where}: sample outside its family')
        check(name in helps and name in types, f'{where}: no HELP and TYPE before the sample')
        if types[name] == 'counter':
            check(name.endswith('_total'), f'{where}: counter without _total')
        labels = {}
        if line[pos:pos + 1] == '{':
            pos += 1
            while line[pos] != '}':
                m = LABEL.match(line, pos)
                check(m, f'{where}: bad label name at {pos}')
                lname, pos = m.group(0), m.end()
                check(line[pos:pos + 2] == '="', f'{where}: no =" after label')
                pos += 2
                val = []
                while True:
                    check(pos < len(line), f'{where}: unterminated label value')
                    c = line[pos]
                    if c == '"':
                        break
                    if c == '\\':
                        nx = line[pos + 1:pos + 2]
                        check(nx in ('\\', '"', 'n'), f'{where}: bad escape \\{nx}')
                        val.append('\n' if nx == 'n' else nx)
                        pos += 2
                    else:
                        val.append(c)
                        pos += 1
                pos += 1
                check(lname not in labels, f'{where}: label {lname} twice')
                labels[lname] = ''.join(val)
                if line[pos] == ',':
                    pos += 1
                else:
                    check(line[pos] == '}', f'{where}: no , or }} after label')
            pos += 1
        check(line[pos:pos + 1] == ' ', f'{where}: no space before the value')
        parts = line[pos + 1:].split(' ')
        check(1 <= len(parts) <= 2 and VALUE.fullmatch(parts[0]), f'{where}: bad value')
        key = (name, tuple(sorted(labels.items())))
        check(key not in samples, f'{where}: duplicate sample')
        samples[key] = float(parts[0])
    check(set(helps) == set(types), f'{path}: HELP and TYPE differ: {set(helps) ^ set(types)}')
    return samples, types
