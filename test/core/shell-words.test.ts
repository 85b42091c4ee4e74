import {describe, expect, it} from 'vitest'

import {shellCommand, shellWord, singleQuoted} from '#core/shell-words.js'

describe('shell words', () => {
  it('single-quotes a word, a quote inside it closed, escaped and reopened', () => {
    expect(singleQuoted('my file.json')).toBe("'my file.json'")
    expect(singleQuoted("it's")).toBe("'it'\\''s'")
    expect(singleQuoted("''")).toBe("''\\'''\\'''")
    expect(singleQuoted('')).toBe("''")
  })

  it('leaves plain words bare: letters, digits and _ @ % + = : , . / -', () => {
    for (const word of [
      'upload',
      'a/b.json',
      'Key_9',
      'me@example.com',
      '50%',
      'a+b=c',
      'k:v,w',
      '--prefix',
      '2024/06/',
    ])
      expect(shellWord(word), word).toBe(word)
    expect(shellWord('_@%+=:,./-aZ09')).toBe('_@%+=:,./-aZ09')
  })

  it('quotes every other word, the empty word too', () => {
    expect(shellWord('my file.json')).toBe("'my file.json'")
    expect(shellWord("it's")).toBe("'it'\\''s'")
    expect(shellWord('$HOME')).toBe("'$HOME'")
    expect(shellWord('a;b')).toBe("'a;b'")
    expect(shellWord(' a')).toBe("' a'")
    expect(shellWord('a ')).toBe("'a '")
    expect(shellWord('*.json')).toBe("'*.json'")
    expect(shellWord('été')).toBe("'été'")
    expect(shellWord('')).toBe("''")
  })

  it('joins a command’s words with spaces, each quoted as needed', () => {
    expect(shellCommand(['eventpulse', 'upload', 'my file.json', '--prefix', "it's/"])).toBe(
      "eventpulse upload 'my file.json' --prefix 'it'\\''s/'",
    )
    expect(shellCommand([])).toBe('')
  })
})
