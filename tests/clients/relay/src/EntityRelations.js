// An entity's relations as a Relay pagination fragment: `@connection` on
// `Entity.relations`, refetched through `Query.node` (`@refetchable`).
import { graphql } from 'relay-runtime';

export const EntityRelations = graphql`
  fragment EntityRelations_entity on Entity
  @refetchable(queryName: "EntityRelationsPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 10 }
    cursor: { type: "String" }
    direction: { type: "Direction", defaultValue: BOTH }
  ) {
    id
    name
    relations(first: $count, after: $cursor, direction: $direction)
      @connection(key: "EntityRelations_relations") {
      __id
      totalCount
      edges {
        cursor
        direction
        other {
          id
          name
          kind
        }
        node {
          id
          label
          createdAt
          type {
            alias
          }
        }
      }
    }
  }
`;
